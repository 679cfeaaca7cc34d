"""The simulated data sets of bench_fit.py: one function per case and the case table (formula, family,
which columns are factors, how statsmodels fits it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "mixedwidgets" / "datasets"


def labels(prefix: str, n: int) -> np.ndarray:
    width = len(str(n))
    return np.array([f"{prefix}{i + 1:0{width}d}" for i in range(n)])


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------


def sim_lmm_slopes(rng, quick):
    n_g, m = (200, 100) if quick else (2000, 100)
    gid = np.repeat(np.arange(n_g), m)
    cov = np.array([[1.0, 0.3 * 0.5], [0.3 * 0.5, 0.25]])
    b = rng.multivariate_normal([0.0, 0.0], cov, n_g)
    x = rng.normal(0, 1, gid.size)
    z = rng.uniform(-1, 1, gid.size)
    y = 1.0 + b[gid, 0] + (0.5 + b[gid, 1]) * x - 0.3 * z + rng.normal(0, 1, gid.size)
    return pd.DataFrame({"y": y.round(4), "x": x.round(4), "z": z.round(4), "g": labels("g", n_g)[gid]})


def sim_lmm_insteval(rng, quick):
    """InstEval-shaped: students (s) rate ~25 lecturers (d); lecturers belong to 14 departments.

    Calibrated on lme4's InstEval: ratings per student 1..~90 (mean ~25), lecturer popularity
    heavily skewed (log-normal weights), students belong to study programmes (~100, each in a
    home department) whose curriculum is a pool of ~40 lecturers, mostly from the home
    department; ~93% of a student's ratings come from their curriculum, the rest from anyone.
    This gives InstEval's clustering (about 58% of a student's ratings in one department) and
    so a similar sparse-Cholesky fill-in.  y is an integer rating 1..5, service 0/1 (~43% ones).
    """
    n_s, n_d, n_dept, n_prog = (300, 110, 14, 10) if quick else (2972, 1128, 14, 100)
    dept_size = rng.dirichlet(np.full(n_dept, 3.0))
    dept_of_d = rng.choice(n_dept, n_d, p=dept_size)
    dept_of_d[:n_dept] = np.arange(n_dept)  # every department has a lecturer
    pop = rng.lognormal(0.0, 1.2, n_d)
    prog_dept = rng.choice(n_dept, n_prog, p=dept_size)
    curricula = []
    for k in range(n_prog):
        own = np.flatnonzero(dept_of_d == prog_dept[k])
        oth = np.flatnonzero(dept_of_d != prog_dept[k])
        n_own = min(30, own.size)
        c_own = rng.choice(own, n_own, replace=False, p=pop[own] / pop[own].sum())
        c_oth = rng.choice(oth, 40 - n_own, replace=False, p=pop[oth] / pop[oth].sum())
        curricula.append(np.concatenate([c_own, c_oth]))
    prog_of_s = rng.integers(0, n_prog, n_s)
    n_per_s = np.minimum(1 + rng.negative_binomial(5, 5 / (5 + 23.4), n_s), n_d // 2)
    s_idx, d_idx = [], []
    for i, k in enumerate(n_per_s):
        cur = curricula[prog_of_s[i]]
        k_cur = min(rng.binomial(k, 0.93), cur.size)
        ds_cur = rng.choice(cur, size=k_cur, replace=False, p=pop[cur] / pop[cur].sum())
        rest = np.setdiff1d(np.arange(n_d), ds_cur)
        ds_rest = rng.choice(rest, size=k - k_cur, replace=False, p=pop[rest] / pop[rest].sum())
        ds = np.concatenate([ds_cur, ds_rest])
        s_idx.append(np.full(ds.size, i))
        d_idx.append(ds)
    si, di = np.concatenate(s_idx), np.concatenate(d_idx)
    service = rng.binomial(1, 0.43, si.size)
    u_s, u_d, u_dept = rng.normal(0, 0.33, n_s), rng.normal(0, 0.51, n_d), rng.normal(0, 0.08, n_dept)
    lat = 3.25 - 0.09 * service + u_s[si] + u_d[di] + u_dept[dept_of_d[di]] + rng.normal(0, 1.18, si.size)
    y = np.clip(np.rint(lat), 1, 5).astype(int)
    return pd.DataFrame(
        {
            "y": y,
            "service": service,
            "s": labels("s", n_s)[si],
            "d": labels("d", n_d)[di],
            "dept": labels("dept", n_dept)[dept_of_d[di]],
        }
    )


def sim_verbagg(rng, quick):
    """VerbAgg-shaped: 316 respondents x 24 items, binary response, 6 fixed effects."""
    n_id = 100 if quick else 316
    # 4 situations (S1, S2: other-to-blame; S3, S4: self-to-blame) x want/do x curse/scold/shout
    items = [
        (b, "other" if sit <= 2 else "self", mo, sit)
        for sit in (1, 2, 3, 4)
        for mo in ("want", "do")
        for b in ("curse", "scold", "shout")
    ]
    n_item = len(items)  # 24
    anger = np.clip(np.rint(rng.normal(20.0, 4.9, n_id)), 11, 39).astype(int)  # VerbAgg: mean 20, 11..39
    gender = rng.choice(np.array(["F", "M"]), n_id, p=[0.77, 0.23])
    u_id, u_item = rng.normal(0, 1.34, n_id), rng.normal(0, 0.49, n_item)
    ii, jj = np.meshgrid(np.arange(n_id), np.arange(n_item), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    btype = np.array([items[j][0] for j in jj])
    situ = np.array([items[j][1] for j in jj])
    # lme4's estimates for this model on the real VerbAgg
    eta = (
        0.20
        + 0.0574 * anger[ii]
        + 0.32 * (gender[ii] == "M")
        - 1.06 * (btype == "scold")
        - 2.11 * (btype == "shout")
        - 1.06 * (situ == "self")
        + u_id[ii]
        + u_item[jj]
    )
    r2 = rng.binomial(1, expit(eta))
    item_lab = np.array([f"S{sit}{mo.capitalize()}{b.capitalize()}" for b, _, mo, sit in items])
    assert len(set(item_lab)) == n_item
    return pd.DataFrame(
        {
            "r2": r2,
            "Anger": anger[ii],
            "Gender": gender[ii],
            "btype": btype,
            "situ": situ,
            "id": labels("id", n_id)[ii],
            "item": item_lab[jj],
        }
    )


def sim_glmm_slopes_200k(rng, quick):
    """The 20k case's shape at 200,000 rows and 2,000 groups (100 rows each)."""
    return sim_glmm_slopes(rng, quick, (200, 100) if quick else (2000, 100))


def sim_glmm_slopes(rng, quick, sizes=None):
    n_g, m = sizes or ((100, 40) if quick else (500, 40))
    gid = np.repeat(np.arange(n_g), m)
    cov = np.array([[1.0, -0.3 * 0.5], [-0.3 * 0.5, 0.25]])
    b = rng.multivariate_normal([0.0, 0.0], cov, n_g)
    x = rng.normal(0, 1, gid.size).round(4)
    y = rng.binomial(1, expit(0.2 + b[gid, 0] + (0.7 + b[gid, 1]) * x))
    return pd.DataFrame({"y": y, "x": x, "g": labels("g", n_g)[gid]})


def load_sleepstudy(rng, quick):
    return pd.read_csv(DATASETS / "sleepstudy.csv")


@dataclass
class BenchCase:
    name: str
    formula: str
    family: str  # gaussian | binomial
    factors: list[str]
    make: Callable
    seed: int
    # statsmodels MixedLM spec, or None with a reason
    sm: dict | None = None
    sm_na: str = ""
    notes: str = ""


CASES = [
    BenchCase(
        "lmm_slopes",
        "y ~ x + z + (1 + x | g)",
        "gaussian",
        ["g"],
        sim_lmm_slopes,
        1,
        sm=dict(formula="y ~ x + z", groups="g", re_formula="~x"),
        notes="200,000 rows, 2,000 groups",
    ),
    BenchCase(
        "lmm_insteval",
        "y ~ service + (1 | s) + (1 | d) + (1 | dept)",
        "gaussian",
        ["s", "d", "dept"],
        sim_lmm_insteval,
        2,
        sm_na="3 crossed factors: one all-ones group with vc_formula needs a dense n x ~4,100 random-effects design",
        notes="~73,000 rows, s ~3,000 x d ~1,100 crossed + dept 14",
    ),
    BenchCase(
        "sleepstudy",
        "Reaction ~ Days + (Days | Subject)",
        "gaussian",
        ["Subject"],
        load_sleepstudy,
        0,
        sm=dict(formula="Reaction ~ Days", groups="Subject", re_formula="~Days"),
        notes="mixedwidgets/datasets/sleepstudy.csv",
    ),
    BenchCase(
        "glmm_verbagg",
        "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)",
        "binomial",
        ["id", "item"],
        sim_verbagg,
        3,
        sm_na="statsmodels MixedLM is Gaussian only (its Bayesian GLMMs are not ML)",
        notes="7,584 rows, 316 x 24 crossed, Laplace",
    ),
    BenchCase(
        "glmm_slopes",
        "y ~ x + (1 + x | g)",
        "binomial",
        ["g"],
        sim_glmm_slopes,
        4,
        sm_na="statsmodels MixedLM is Gaussian only (its Bayesian GLMMs are not ML)",
        notes="20,000 rows, 500 groups, Laplace",
    ),
    BenchCase(
        "glmm_slopes_200k",
        "y ~ x + (1 + x | g)",
        "binomial",
        ["g"],
        sim_glmm_slopes_200k,
        5,
        sm_na="statsmodels MixedLM is Gaussian only (its Bayesian GLMMs are not ML)",
        notes="200,000 rows, 2,000 groups, Laplace",
    ),
]
CASE_NAMES = [c.name for c in CASES]
