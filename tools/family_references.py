"""Negative-binomial and Gamma GLMMs against glmmTMB (and lme4's glmer.nb), run live.

    python tools/family_references.py write          # the stored cases: tests/reference/families/
    python tools/family_references.py check N [SEED] # N fresh random cases; prints every difference

Data are simulated here with numpy (seeded), fitted by R (tools/r/fit_glmmtmb.R) and by mw.fit.
`write` stores the data (CSV) and R's answers (JSON) for tests/backend/test_family_glmmtmb.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
R_SCRIPT = ROOT / "tools" / "r" / "fit_glmmtmb.R"
REFERENCE = ROOT / "tests" / "reference" / "families"


def simulate(
    family: str,
    link: str,
    slope: bool,
    rng: np.random.Generator,
    n_groups: int,
    per_group: int,
    dispersion: float,
    sd0: float,
    sd1: float = 0.0,
    corr: float = 0.0,
) -> pd.DataFrame:
    """y ~ x + (1 | g) or (1 + x | g) from the family with the given true values."""
    g = np.repeat(np.arange(n_groups), per_group)
    inverse = link == "inverse"
    x = rng.uniform(0, 1, len(g)) if inverse else rng.normal(size=len(g))
    cov = np.array([[sd0**2, corr * sd0 * sd1], [corr * sd0 * sd1, sd1**2]])
    b = (
        rng.multivariate_normal(np.zeros(2), cov, size=n_groups)
        if slope
        else np.column_stack([rng.normal(0, sd0, n_groups), np.zeros(n_groups)])
    )
    beta = (1.0, 0.5) if inverse else (rng.uniform(-0.5, 1.5), rng.uniform(-0.5, 0.5))
    eta = beta[0] + beta[1] * x + b[g, 0] + b[g, 1] * x
    mu = 1.0 / np.maximum(eta, 0.05) if inverse else np.exp(eta)
    if family == "negative_binomial":
        y = rng.negative_binomial(dispersion, dispersion / (dispersion + mu))
    else:
        y = rng.gamma(dispersion, mu / dispersion)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{k:02d}" for k in g]})


def r_answer(csv: Path, formula: str, family: str, link: str, engine: str = "glmmTMB", reps: int = 1) -> dict:
    out = subprocess.run(
        ["Rscript", str(R_SCRIPT), str(csv), formula, family, link, "g", str(reps), engine],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "R failed")
    return json.loads(out.stdout)


def our_answer(data: pd.DataFrame, formula: str, family: str, link: str) -> dict:
    import mixedwidgets as mw

    m = mw.fit(formula, data, family=family, link=link)
    sdcor = {}
    for row in m.varcorr.itertuples():
        sdcor[f"{row.group}|{row.var1}|{row.var2 if isinstance(row.var2, str) else 'NA'}"] = row.sdcor
    return {
        "objective": m.objective,
        "fixef": m.fixef.to_dict(),
        "se": m.coef_table()["std_error"].to_dict(),
        "sdcor": sdcor,
        "dispersion": m.dispersion,
        "messages": m.messages,
    }


def differences(ours: dict, ref: dict) -> dict:
    """The acceptance measures: |Δ(−2 log L)|, max |Δβ|/SE, max relative SD difference, max |Δ corr|,
    relative dispersion difference, max relative SE difference."""
    names = list(ref["fixef"])
    sd_keys = [k for k in ref["sdcor"] if k.endswith("|NA")]
    cor_keys = [k for k in ref["sdcor"] if not k.endswith("|NA")]
    return {
        "objective": abs(ours["objective"] - ref["objective"]),
        "fixef_in_se": max(abs(ours["fixef"][n] - ref["fixef"][n]) / ref["se"][n] for n in names),
        "sd_rel": max(abs(ours["sdcor"][k] - ref["sdcor"][k]) / ref["sdcor"][k] for k in sd_keys),
        "cor_abs": max((abs(ours["sdcor"][k] - ref["sdcor"][k]) for k in cor_keys), default=0.0),
        "dispersion_rel": abs(ours["dispersion"] - ref["dispersion"]) / ref["dispersion"],
        "se_rel": max(abs(ours["se"][n] - ref["se"][n]) / ref["se"][n] for n in names),
    }


STORED_CASES = [
    # name, family, link, slope, seed, groups, per group, dispersion, sd0, sd1, corr
    ("nb_intercept", "negative_binomial", "log", False, 101, 40, 10, 2.0, 0.7, 0, 0),
    ("nb_slope", "negative_binomial", "log", True, 102, 40, 12, 3.0, 0.6, 0.3, 0.4),
    ("gamma_log_intercept", "gamma", "log", False, 103, 35, 8, 2.5, 0.5, 0, 0),
    ("gamma_log_slope", "gamma", "log", True, 104, 40, 10, 4.0, 0.5, 0.25, -0.3),
    ("gamma_inverse_intercept", "gamma", "inverse", False, 105, 30, 10, 5.0, 0.1, 0, 0),
]


def formula_of(slope: bool) -> str:
    return "y ~ x + (1 + x | g)" if slope else "y ~ x + (1 | g)"


def write() -> None:
    (REFERENCE / "data").mkdir(parents=True, exist_ok=True)
    for name, family, link, slope, seed, n_groups, per, disp, sd0, sd1, corr in STORED_CASES:
        data = simulate(family, link, slope, np.random.default_rng(seed), n_groups, per, disp, sd0, sd1, corr)
        csv = REFERENCE / "data" / f"{name}.csv"
        data.to_csv(csv, index=False)
        answer = {
            "case": name,
            "data": f"data/{name}.csv",
            "formula": formula_of(slope),
            "family": family,
            "link": link,
            "glmmTMB": r_answer(csv, formula_of(slope), family, link),
        }
        if family == "negative_binomial":
            answer["glmer.nb"] = r_answer(csv, formula_of(slope), family, link, engine="glmer.nb")
        (REFERENCE / f"{name}.json").write_text(json.dumps(answer, indent=1))
        print(name, differences(our_answer(data, formula_of(slope), family, link), answer["glmmTMB"]))


def random_case(rng: np.random.Generator):
    family, link = [("negative_binomial", "log"), ("gamma", "log"), ("gamma", "inverse")][rng.integers(3)]
    slope = link == "log" and rng.random() < 0.4
    disp = float(np.exp(rng.uniform(np.log(0.7), np.log(10))))
    sd0 = rng.uniform(0.05, 0.15) if link == "inverse" else rng.uniform(0.2, 1.0)
    settings = dict(
        n_groups=int(rng.integers(12, 60)),
        per_group=int(rng.integers(4, 16)),
        dispersion=disp,
        sd0=sd0,
        sd1=rng.uniform(0.15, 0.5),
        corr=rng.uniform(-0.5, 0.5),
    )
    return family, link, slope, settings


def check(n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            family, link, slope, settings = random_case(rng)
            data = simulate(family, link, slope, rng, **settings)
            csv = Path(tmp) / f"case{i}.csv"
            data.to_csv(csv, index=False)
            try:
                ref = r_answer(csv, formula_of(slope), family, link)
            except RuntimeError as exc:
                print(f"case {i}: R failed ({exc}); skipped", flush=True)
                continue
            ours = our_answer(data, formula_of(slope), family, link)
            if ref["objective"] is None:
                print(
                    f"case {i} ({family}, {link}): glmmTMB gave no likelihood ({ref['warnings']}); ours "
                    f"{ours['objective']:.6f}, notes {ours['messages']}",
                    flush=True,
                )
                continue
            diff = differences(ours, ref)
            diff.update(
                case=i,
                family=family,
                link=link,
                slope=slope,
                sd_r=min(ref["sdcor"].values()),
                ours_minus_r=ours["objective"] - ref["objective"],
                r_warnings=";".join(ref["warnings"]),
                our_messages=len(ours["messages"]),
            )
            rows.append(diff)
            print({k: (round(v, 6) if isinstance(v, float) else v) for k, v in diff.items()}, flush=True)
    table = pd.DataFrame(rows)
    print(f"\n{len(table)} cases; worst of each measure:")
    print(table[["objective", "fixef_in_se", "sd_rel", "cor_abs", "dispersion_rel", "se_rel"]].max().to_string())


if __name__ == "__main__":
    if sys.argv[1:2] == ["write"]:
        write()
    elif sys.argv[1:2] == ["check"]:
        check(int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    else:
        sys.exit(__doc__)
