"""Make the degrees-of-freedom reference cases: data as CSV, lmerTest/pbkrtest answers as JSON.

usage: python tools/ddf_reference.py [OUT_DIR [NAME_PREFIX]]   (default tests/reference/ddf, every case;
needs R with lmerTest and pbkrtest)

Cases: sleepstudy (REML and ML), lme4's cake split-plot (temp as a factor), a simulated unbalanced
3-level factor × continuous predictor with a correlated random slope, and fresh random designs
(several factors and covariates, crossed and nested grouping, unbalanced, ML and REML). Each case's
JSON holds the formula, the columns that are factors, and R's answers (tools/r/ddf_lmertest.R).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT / "tools" / "r" / "ddf_lmertest.R"


def sleepstudy() -> pd.DataFrame:
    return pd.read_csv(ROOT / "mixedwidgets" / "datasets" / "sleepstudy.csv")


def cake() -> pd.DataFrame:
    code = (
        "data(cake, package='lme4'); "
        "write.csv(cake[, c('replicate', 'recipe', 'temp', 'angle')], stdout(), row.names=FALSE)"
    )
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    from io import StringIO

    return pd.read_csv(StringIO(out.stdout))


def factor_slope(seed: int = 10) -> pd.DataFrame:
    """Unbalanced: 3-level factor f (unequal shares) × continuous x, random (1 + x | g) correlated,
    groups of 2 to 14 rows."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 15, size=30)
    g = np.repeat(np.arange(30), sizes)
    n = len(g)
    f = rng.choice(["lo", "mid", "hi"], size=n, p=[0.5, 0.3, 0.2])
    x = rng.normal(2.0, 1.5, size=n)
    cov = np.array([[1.0, 0.4], [0.4, 0.25]])
    b = rng.multivariate_normal([0, 0], cov, size=30)
    effect = {"lo": 0.0, "mid": 0.8, "hi": -0.5}
    slope = {"lo": 0.3, "mid": 0.6, "hi": 0.1}
    y = (
        1.0
        + np.vectorize(effect.get)(f)
        + np.vectorize(slope.get)(f) * x
        + b[g, 0]
        + b[g, 1] * x
        + rng.normal(0, 0.8, size=n)
    )
    return pd.DataFrame({"y": np.round(y, 6), "f": f, "x": np.round(x, 6), "g": [f"s{k:02d}" for k in g]})


def random_case(seed: int) -> tuple[pd.DataFrame, str, list[str]]:
    """A random design: two factors (2-4 levels), a covariate, one or two grouping factors, random slope or
    not, unbalanced cells, rows dropped at random."""
    rng = np.random.default_rng(seed)
    n_groups = int(rng.integers(8, 25))
    n = int(rng.integers(120, 400))
    g = rng.integers(0, n_groups, size=n)
    h = rng.integers(0, int(rng.integers(4, 9)), size=n)
    a = rng.choice([f"a{k}" for k in range(int(rng.integers(2, 5)))], size=n)
    c = rng.choice(["u", "v", "w"][: int(rng.integers(2, 4))], size=n, p=None)
    x = rng.normal(0, 1, size=n) + 0.3 * g / n_groups
    bg = rng.normal(0, rng.uniform(0.3, 1.5), size=(n_groups, 2))
    bh = rng.normal(0, rng.uniform(0.2, 1.0), size=h.max() + 1)
    y = (
        rng.normal(0, 1)
        + 0.5 * (a == "a1")
        - 0.4 * (c == "v")
        + 0.3 * x * (a == "a0")
        + bg[g, 0]
        + bg[g, 1] * x * rng.uniform(0.2, 1)
        + bh[h]
        + rng.normal(0, rng.uniform(0.5, 1.5), size=n)
    )
    data = pd.DataFrame(
        {"y": np.round(y, 6), "a": a, "c": c, "x": np.round(x, 6), "g": [f"g{k}" for k in g], "h": [f"h{k}" for k in h]}
    )
    formulas = [
        "y ~ a * c + x + (1 | g)",
        "y ~ a * x + c + (1 + x | g)",
        "y ~ a + c + a:x + (1 | g) + (1 | h)",
        "y ~ a * c * x + (x || g)",
        "y ~ x + a + (1 | g/h)",
    ]
    return data, formulas[seed % len(formulas)], ["a", "c", "g", "h"]


VARIANTS = [
    "y ~ 0 + a + x + (1 | g)",
    "y ~ a * c + a:x + (1 | g)",
    "y ~ x * z + a + (1 + x | g)",
    "y ~ a:c + x + (1 | g)",
    "y ~ c * a * x + (1 | h) + (1 | g)",
    "y ~ b * x + (1 | g)",
    "y ~ poly(x, 2) * a + (1 + x | g)",
]


def variant_case(k: int) -> tuple[pd.DataFrame, str, list[str]]:
    """Formula shapes the type III contrasts must get right: no intercept, an interaction without its
    main effects, a numeric × numeric interaction, a three-way interaction with crossed groups, a logical
    variable (a factor in R), a matrix-valued term (poly)."""
    data, _, factors = random_case(100 + k)
    rng = np.random.default_rng(200 + k)
    data["z"] = np.round(rng.normal(1.0, 2.0, size=len(data)), 6)
    data["y"] = np.round(data["y"] + 0.2 * data["x"] * data["z"], 6)
    data["b"] = np.where(data["x"] > 0, "TRUE", "FALSE")  # read back as logical by R and pandas
    return data, VARIANTS[k], factors


def cases():
    yield "sleepstudy_reml", sleepstudy(), "Reaction ~ Days + (Days | Subject)", ["Subject"], True
    yield "sleepstudy_ml", sleepstudy(), "Reaction ~ Days + (Days | Subject)", ["Subject"], False
    yield "cake_reml", cake(), "angle ~ recipe * temp + (1 | recipe:replicate)", ["recipe", "temp", "replicate"], True
    yield "cake_ml", cake(), "angle ~ recipe * temp + (1 | recipe:replicate)", ["recipe", "temp", "replicate"], False
    yield "factor_slope_reml", factor_slope(), "y ~ f * x + (1 + x | g)", ["f", "g"], True
    yield "factor_slope_ml", factor_slope(), "y ~ f * x + (1 + x | g)", ["f", "g"], False
    for seed in range(1, 9):
        data, formula, factors = random_case(seed)
        yield f"random_{seed}", data, formula, factors, seed % 3 != 0
    for k in range(len(VARIANTS)):
        data, formula, factors = variant_case(k)
        yield f"variant_{k}", data, formula, factors, k != 2


def main(out_dir: Path, only: str = "") -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data, formula, factors, reml in cases():
        if not name.startswith(only):
            continue
        csv = out_dir / f"{name}.csv"
        data.to_csv(csv, index=False)
        used = [f for f in factors if f in data.columns]
        run = subprocess.run(
            [
                "Rscript",
                str(ORACLE),
                str(csv),
                formula,
                "TRUE" if reml else "FALSE",
                ",".join(used),
                "5" if name.startswith("sleepstudy") else "0",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            print(name, "failed:", run.stderr[-500:], file=sys.stderr)
            continue
        answer = json.loads(run.stdout)
        answer["csv"] = csv.name
        (out_dir / f"{name}.json").write_text(json.dumps(answer, indent=1))
        print(name, formula, "reml" if reml else "ml")


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "reference" / "ddf",
        sys.argv[2] if len(sys.argv) > 2 else "",
    )
