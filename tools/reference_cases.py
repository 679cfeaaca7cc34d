"""The simulated reference cases of make_references.py: one data-generating function per case (fixed
seeds, true values recorded) and the case table (formula, family, REML, nAGQ, factors, weights)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Case:
    name: str
    formula: str
    family: str
    reml: bool
    nagq: int
    factors: list[str]
    simulate: Callable[[np.random.Generator], tuple[pd.DataFrame, dict]]
    seed: int
    weights: str = ""
    expect_singular: bool | None = None
    description: str = ""
    extra: dict = field(default_factory=dict)


def labels(prefix: str, n: int) -> np.ndarray:
    """Zero-padded level names, so text order == numeric order in every tool."""
    width = len(str(n))
    return np.array([f"{prefix}{i + 1:0{width}d}" for i in range(n)])


def mvn_effects(rng, n, sds, corr):
    """n draws of correlated (intercept, slope) effects."""
    sds = np.asarray(sds, float)
    cov = np.array([[1.0, corr], [corr, 1.0]]) * np.outer(sds, sds)
    return rng.multivariate_normal(np.zeros(2), cov, size=n)


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------------------------
# simulators: each returns (data frame, dict of true values)
# --------------------------------------------------------------------------------------------


def sim_nested(rng):
    n_school, n_class = 30, 4
    sd_school, sd_class, sigma = 3.0, 2.0, 5.0
    beta = (50.0, 2.0)
    schools = labels("S", n_school)
    rows = []
    u = rng.normal(0, sd_school, n_school)
    for i, s in enumerate(schools):
        v = rng.normal(0, sd_class, n_class)
        for j in range(n_class):
            m = int(np.clip(rng.poisson(10), 5, 16))
            x = rng.normal(0, 1, m)
            y = beta[0] + beta[1] * x + u[i] + v[j] + rng.normal(0, sigma, m)
            for xi, yi in zip(x, y):
                rows.append((round(yi, 3), round(xi, 3), s, f"c{j + 1}"))
    df = pd.DataFrame(rows, columns=["y", "x", "school", "class"])
    return df, dict(
        beta=beta,
        sd_school=sd_school,
        sd_class_in_school=sd_class,
        sigma=sigma,
        note="class labels c1..c4 are reused in every school (implicit nesting)",
    )


def sim_singular(rng):
    n_pat, n_week = 40, 8
    sd_int, sd_slope, sigma = 1.0, 0.0, 1.0
    beta = (10.0, -0.5)
    pats = labels("P", n_pat)
    u = rng.normal(0, sd_int, n_pat)
    week = np.tile(np.arange(n_week), n_pat)
    pid = np.repeat(np.arange(n_pat), n_week)
    score = beta[0] + beta[1] * week + u[pid] + rng.normal(0, sigma, n_pat * n_week)
    df = pd.DataFrame({"score": score.round(3), "week": week, "patient": pats[pid]})
    return df, dict(beta=beta, sd_intercept=sd_int, sd_slope=sd_slope, sigma=sigma)


def sim_categorical(rng):
    n_clinic = 40
    sd_clinic, sigma = 2.5, 4.0
    treatments = np.array(["control", "drugA", "drugB"])
    sexes = np.array(["F", "M"])
    eff_trt = {"control": 0.0, "drugA": -3.0, "drugB": -5.0}
    eff_sex = {"F": 0.0, "M": 1.5}
    eff_int = {("drugA", "M"): 1.0, ("drugB", "M"): 2.0}
    b_age, intercept = 0.08, 120.0
    clinics = labels("C", n_clinic)
    u = rng.normal(0, sd_clinic, n_clinic)
    rows = []
    for k, c in enumerate(clinics):
        m = int(rng.integers(15, 36))
        trt = rng.choice(treatments, m)
        sex = rng.choice(sexes, m, p=[0.55, 0.45])
        age = rng.integers(20, 81, m)
        for t, s, a in zip(trt, sex, age):
            mu = intercept + eff_trt[t] + eff_sex[s] + eff_int.get((t, s), 0.0) + b_age * a + u[k]
            rows.append((round(mu + rng.normal(0, sigma), 2), t, s, int(a), c))
    df = pd.DataFrame(rows, columns=["y", "treatment", "sex", "age", "clinic"])
    return df, dict(
        intercept=intercept,
        treatment=eff_trt,
        sex=eff_sex,
        interaction={f"{a}:{b}": v for (a, b), v in eff_int.items()},
        age=b_age,
        sd_clinic=sd_clinic,
        sigma=sigma,
    )


def sim_many_groups(rng):
    n_g = 2000
    sds, corr, sigma = (1.0, 0.5), 0.3, 1.0
    beta = (2.0, 1.0)
    g = labels("g", n_g)
    sizes = rng.integers(3, 8, n_g)  # 3..7, mean 5
    gid = np.repeat(np.arange(n_g), sizes)
    b = mvn_effects(rng, n_g, sds, corr)
    x = rng.normal(0, 1, gid.size)
    y = beta[0] + b[gid, 0] + (beta[1] + b[gid, 1]) * x + rng.normal(0, sigma, gid.size)
    df = pd.DataFrame({"y": y.round(3), "x": x.round(3), "g": g[gid]})
    return df, dict(beta=beta, sd_intercept=sds[0], sd_slope=sds[1], corr=corr, sigma=sigma)


def sim_uncorr(rng):
    n_g = 80
    sd_int, sd_slope, sigma = 2.0, 1.0, 1.0
    beta = (5.0, 0.5)
    g = labels("g", n_g)
    sizes = rng.integers(6, 15, n_g)
    gid = np.repeat(np.arange(n_g), sizes)
    u0 = rng.normal(0, sd_int, n_g)
    u1 = rng.normal(0, sd_slope, n_g)
    x = rng.uniform(-2, 2, gid.size)
    y = beta[0] + u0[gid] + (beta[1] + u1[gid]) * x + rng.normal(0, sigma, gid.size)
    df = pd.DataFrame({"y": y.round(3), "x": x.round(3), "g": g[gid]})
    return df, dict(beta=beta, sd_intercept=sd_int, sd_slope=sd_slope, corr=0.0, sigma=sigma)


def sim_crossed_slope(rng):
    n_s, n_i = 50, 30
    sds, corr, sd_item, sigma = (50.0, 15.0), 0.4, 30.0, 60.0
    beta = (600.0, 30.0)
    subj, item = labels("s", n_s), labels("i", n_i)
    si, ii = np.meshgrid(np.arange(n_s), np.arange(n_i), indexing="ij")
    si, ii = si.ravel(), ii.ravel()
    keep = rng.uniform(size=si.size) > 0.1  # ~10% missing trials
    si, ii = si[keep], ii[keep]
    b = mvn_effects(rng, n_s, sds, corr)
    w = rng.normal(0, sd_item, n_i)
    x = rng.normal(0, 1, si.size)
    y = beta[0] + b[si, 0] + w[ii] + (beta[1] + b[si, 1]) * x + rng.normal(0, sigma, si.size)
    df = pd.DataFrame({"y": y.round(1), "x": x.round(3), "subj": subj[si], "item": item[ii]})
    return df, dict(beta=beta, sd_subj_intercept=sds[0], sd_subj_slope=sds[1], corr=corr, sd_item=sd_item, sigma=sigma)


def sim_glmm_crossed(rng):
    n_s, n_i = 80, 30
    sd_s, sd_i = 1.0, 0.7
    beta = (-0.5, 0.8)
    subj, item = labels("s", n_s), labels("i", n_i)
    si, ii = np.meshgrid(np.arange(n_s), np.arange(n_i), indexing="ij")
    si, ii = si.ravel(), ii.ravel()
    u, v = rng.normal(0, sd_s, n_s), rng.normal(0, sd_i, n_i)
    x = rng.normal(0, 1, si.size).round(3)
    y = rng.binomial(1, expit(beta[0] + beta[1] * x + u[si] + v[ii]))
    df = pd.DataFrame({"y": y, "x": x, "subj": subj[si], "item": item[ii]})
    return df, dict(beta=beta, sd_subj=sd_s, sd_item=sd_i)


def sim_poisson3(rng):
    n, na, nb, nc = 1500, 20, 15, 8
    sds = dict(a=0.5, b=0.3, c=0.2)
    beta = (0.3, 0.4)
    a, b, c = rng.integers(0, na, n), rng.integers(0, nb, n), rng.integers(0, nc, n)
    ua, ub, uc = rng.normal(0, sds["a"], na), rng.normal(0, sds["b"], nb), rng.normal(0, sds["c"], nc)
    x = rng.normal(0, 1, n).round(3)
    exposure = rng.uniform(0.5, 5.0, n).round(2)
    mu = np.exp(np.log(exposure) + beta[0] + beta[1] * x + ua[a] + ub[b] + uc[c])
    count = rng.poisson(mu)
    df = pd.DataFrame(
        {
            "count": count,
            "x": x,
            "exposure": exposure,
            "a": labels("a", na)[a],
            "b": labels("b", nb)[b],
            "c": labels("c", nc)[c],
        }
    )
    return df, dict(beta=beta, sd=sds)


def sim_glmm_slope(rng):
    n_g, m = 150, 20
    sds, corr = (1.0, 0.5), -0.3
    beta = (0.2, 0.7)
    gid = np.repeat(np.arange(n_g), m)
    b = mvn_effects(rng, n_g, sds, corr)
    x = rng.normal(0, 1, gid.size).round(3)
    y = rng.binomial(1, expit(beta[0] + b[gid, 0] + (beta[1] + b[gid, 1]) * x))
    df = pd.DataFrame({"y": y, "x": x, "g": labels("g", n_g)[gid]})
    return df, dict(beta=beta, sd_intercept=sds[0], sd_slope=sds[1], corr=corr)


def sim_binom_agq(rng):
    n_g, m = 100, 10
    sd, beta = 1.2, (-0.3, 0.6)
    gid = np.repeat(np.arange(n_g), m)
    u = rng.normal(0, sd, n_g)
    x = rng.normal(0, 1, gid.size).round(3)
    y = rng.binomial(1, expit(beta[0] + beta[1] * x + u[gid]))
    df = pd.DataFrame({"y": y, "x": x, "g": labels("g", n_g)[gid]})
    return df, dict(beta=beta, sd_g=sd)


def sim_poisson_agq(rng):
    n_g, m = 60, 8
    sd, beta = 0.6, (1.0, 0.3)
    gid = np.repeat(np.arange(n_g), m)
    u = rng.normal(0, sd, n_g)
    x = rng.normal(0, 1, gid.size).round(3)
    count = rng.poisson(np.exp(beta[0] + beta[1] * x + u[gid]))
    df = pd.DataFrame({"count": count, "x": x, "g": labels("g", n_g)[gid]})
    return df, dict(beta=beta, sd_g=sd)


def sim_cbind(rng):
    n_g, m = 50, 6
    sd, beta = 0.8, (-1.0, 0.5)
    gid = np.repeat(np.arange(n_g), m)
    u = rng.normal(0, sd, n_g)
    x = rng.normal(0, 1, gid.size).round(3)
    n = rng.integers(5, 31, gid.size)
    s = rng.binomial(n, expit(beta[0] + beta[1] * x + u[gid]))
    df = pd.DataFrame({"s": s, "n": n, "x": x, "g": labels("g", n_g)[gid]})
    return df, dict(beta=beta, sd_g=sd)


def sim_singular_negative(rng):
    """Slope = -0.2 x intercept exactly in every group: lme4 lands on a correlation of -1."""
    n_g, m = 30, 6
    beta = (5.0, 1.0)
    gid = np.repeat(np.arange(n_g), m)
    u = rng.normal(0, 1.0, n_g)
    x = np.tile(np.arange(m), n_g).astype(float)
    y = beta[0] + u[gid] + (beta[1] - 0.2 * u[gid]) * x + rng.normal(0, 1.5, gid.size)
    df = pd.DataFrame({"y": y.round(3), "x": x, "g": labels("g", n_g)[gid]})
    return df, dict(beta=beta, sd_intercept=1.0, sd_slope=0.2, corr=-1.0, sigma=1.5)


def sim_reml_many_fixed(rng):
    """48 rows and 8 fixed effects: REML's sigma^2 = pwrss/(n - p) differs from pwrss/n by 20%."""
    n_g, m, p = 12, 4, 7
    gid = np.repeat(np.arange(n_g), m)
    X = rng.normal(0, 1, (gid.size, p)).round(3)
    u = rng.normal(0, 1.5, n_g)
    y = 1.0 + X @ np.linspace(-1, 1, p) + u[gid] + rng.normal(0, 1.0, gid.size)
    df = pd.DataFrame(X, columns=[f"x{k + 1}" for k in range(p)])
    df.insert(0, "y", y.round(3))
    df["g"] = labels("g", n_g)[gid]
    return df, dict(sd_g=1.5, sigma=1.0, beta=[1.0] + list(np.linspace(-1, 1, p)))


CASES = [
    Case(
        "nested_reml",
        "y ~ x + (1 | school/class)",
        "gaussian",
        True,
        1,
        ["school", "class"],
        sim_nested,
        101,
        description="pupils in classes in schools, 30 x 4 x ~10",
    ),
    Case(
        "nested_ml",
        "y ~ x + (1 | school/class)",
        "gaussian",
        False,
        1,
        ["school", "class"],
        sim_nested,
        101,
        description="same data as nested_reml, ML",
    ),
    Case(
        "singular_slope",
        "score ~ week + (1 + week | patient)",
        "gaussian",
        True,
        1,
        ["patient"],
        sim_singular,
        202,
        expect_singular=True,
        description="true slope variance 0: lme4 lands on the boundary (singular fit)",
    ),
    Case(
        "categorical_interaction",
        "y ~ treatment * sex + age + (1 | clinic)",
        "gaussian",
        True,
        1,
        ["treatment", "sex", "clinic"],
        sim_categorical,
        303,
        description="3-level treatment x 2-level sex interaction plus age, 40 clinics",
    ),
    Case(
        "many_groups",
        "y ~ x + (1 + x | g)",
        "gaussian",
        True,
        1,
        ["g"],
        sim_many_groups,
        404,
        description="2,000 groups of 3-7 rows, correlated random slope",
    ),
    Case(
        "uncorr_same_group",
        "y ~ x + (1 | g) + (0 + x | g)",
        "gaussian",
        True,
        1,
        ["g"],
        sim_uncorr,
        505,
        description="independent intercept and slope terms on the same factor",
    ),
    Case(
        "crossed_slope",
        "y ~ x + (1 + x | subj) + (1 | item)",
        "gaussian",
        True,
        1,
        ["subj", "item"],
        sim_crossed_slope,
        606,
        description="50 subjects x 30 items, ~10% missing, random slope by subject",
    ),
    Case(
        "glmm_crossed_binary",
        "y ~ x + (1 | subj) + (1 | item)",
        "binomial",
        False,
        1,
        ["subj", "item"],
        sim_glmm_crossed,
        707,
        description="80 x 30 fully crossed, Laplace",
    ),
    Case(
        "glmm_poisson_offset3",
        "count ~ x + offset(log(exposure)) + (1 | a) + (1 | b) + (1 | c)",
        "poisson",
        False,
        1,
        ["a", "b", "c"],
        sim_poisson3,
        808,
        description="three crossed factors (20, 15, 8 levels) and an exposure offset, Laplace",
    ),
    Case(
        "glmm_logit_slope",
        "y ~ x + (1 + x | g)",
        "binomial",
        False,
        1,
        ["g"],
        sim_glmm_slope,
        909,
        description="150 groups x 20, correlated random slope, Laplace",
    ),
    Case(
        "glmm_binom_agq10",
        "y ~ x + (1 | g)",
        "binomial",
        False,
        10,
        ["g"],
        sim_binom_agq,
        1010,
        description="binary, 100 groups x 10, adaptive Gauss-Hermite with 10 nodes",
    ),
    Case(
        "glmm_poisson_agq7",
        "count ~ x + (1 | g)",
        "poisson",
        False,
        7,
        ["g"],
        sim_poisson_agq,
        1111,
        description="60 groups x 8, adaptive Gauss-Hermite with 7 nodes",
    ),
    Case(
        "glmm_cbind",
        "cbind(s, n - s) ~ x + (1 | g)",
        "binomial",
        False,
        1,
        ["g"],
        sim_cbind,
        1212,
        description="successes out of 5-30 trials per row, 50 groups x 6, Laplace",
    ),
    Case(
        "singular_negative",
        "y ~ x + (1 + x | g)",
        "gaussian",
        True,
        1,
        ["g"],
        sim_singular_negative,
        1314,
        expect_singular=True,
        description="slope exactly -0.2 x intercept: a singular fit with correlation -1",
    ),
    Case(
        "reml_many_fixed",
        "y ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + (1 | g)",
        "gaussian",
        True,
        1,
        ["g"],
        sim_reml_many_fixed,
        1414,
        description="12 groups x 4 rows, 8 fixed effects: REML sigma needs n - p",
    ),
]
