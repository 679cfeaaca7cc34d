#!/usr/bin/env python3
"""Regenerate lme4's answers for formulas written as lme4 users write them (tests/formula/).

Simulates one data set (``tests/formula/data/idioms.csv``, seed below) and new rows for
predictions (``idioms_new.csv``), lists the cases in ``tests/formula/cases.tsv`` (our
formula and the same model in R's spelling) and runs ``tools/r/fit_formula_idioms.R``,
which writes lme4's answer for each case to ``tests/formula/reference/NAME.json``.

Needs R with lme4 and jsonlite::

    python tools/make_formula_references.py [--rscript PATH]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "formula"
SCRIPT = Path(__file__).resolve().parent / "r" / "fit_formula_idioms.R"
SEED = 20261129
FACTORS = "g,h,f"

# name, our formula, lme4's formula ("" = the same), REML, data ("" = idioms.csv)
CASES = [
    ("int_square_sleep", "Reaction ~ Days + I(Days^2) + (Days | Subject)", "", False, "sleepstudy"),
    ("int_square", "y ~ k + I(k^2) + (1 | g)", "", True, ""),
    ("powers", "y ~ x + I(x^2) + I(x^3) + (1 | g)", "", True, ""),
    ("factor_k", "y ~ factor(k) + (1 | g)", "", True, ""),
    ("as_factor_times_z", "y ~ as.factor(k) * z + (1 | g)", "", True, ""),
    ("as_numeric", "y ~ as.numeric(k) + x + (1 | g)", "", True, ""),
    ("log_exp_sqrt", "log(y) ~ log(x) + exp(z/10) + sqrt(x) + (1 | g)", "", True, ""),
    ("poly2", "y ~ poly(x, 2) + (1 | g)", "", True, ""),
    ("scale_x", "y ~ scale(x) + z + (1 + scale(x) | g)", "", True, ""),
    ("all_two_way", "y ~ (x + z + f)^2 + (1 | g)", "", True, ""),
    ("f_nests_x", "y ~ f / x + (1 | g)", "", True, ""),
    ("backticks", "y ~ `dose (mg)` + x + (1 | g)", "", True, ""),
    (
        "q_quote",
        "y ~ Q('dose (mg)') + log(Q('dose (mg)')) + (1 | g)",
        "y ~ `dose (mg)` + log(`dose (mg)`) + (1 | g)",
        True,
        "",
    ),
    ("logical", "y ~ I(k > 2) + x + (1 | g)", "", True, ""),
    ("logical_no_intercept", "y ~ 0 + I(k > 2) + x + (1 | g)", "", True, ""),
    ("offset_half_z", "y ~ x + offset(0.5 * z) + (1 | g)", "", True, ""),
    ("nested", "y ~ x + (1 | g/h)", "", True, ""),
    ("nested_ml", "y ~ x + (1 | g/h)", "", False, ""),
    ("nested_three", "y ~ x + (1 | g/h/f)", "", True, ""),
    ("pastes", "strength ~ 1 + (1 | batch/cask)", "", True, "Pastes"),
    ("nested_slope", "y ~ x + (1 + x | g) + (1 | g:h)", "", True, ""),
    ("r_logic", "y ~ I(x > 2 & z < 0) + I(!(k == 1)) + as.logical(k) + (1 | g)", "", True, ""),
    ("r_arithmetic", "y ~ I(k %% 2) + I(k %/% 2) + as.integer(x) + log(x, 2) + (1 | g)", "", True, ""),
    (
        "r_helpers",
        "y ~ pmax(x, 2) + ifelse(z > 0, x, 0) + relevel(f, 'b') + (1 | g)",
        'y ~ pmax(x, 2) + ifelse(z > 0, x, 0) + relevel(f, "b") + (1 | g)',
        True,
        "",
    ),
    ("uncorrelated_transform", "y ~ I(x^2) + (I(x^2) || g)", "", True, ""),
    ("numpy_spelling", "y ~ np.log(x) + I(x**2) + (1 | g)", "y ~ log(x) + I(x^2) + (1 | g)", True, ""),
]


def simulate(rng: np.random.Generator, n: int, groups: int = 24, effects_seed: int = SEED + 1) -> pd.DataFrame:
    g = rng.integers(0, groups, n)
    h = rng.integers(0, 4, n)
    k = rng.integers(0, 5, n)
    x = rng.uniform(0.5, 4.0, n)
    z = rng.normal(0.0, 3.0, n)
    f = rng.choice(np.array(["a", "b", "c"]), n)
    dose = rng.normal(10.0, 2.0, n)
    effects = np.random.default_rng(effects_seed)  # the same group effects for fit and new data
    g_effect, g_slope = effects.normal(0, 2.0, groups), effects.normal(0, 0.4, groups)
    h_effect = effects.normal(0, 1.0, (groups, 4))
    f_effect = {"a": 0.0, "b": 1.2, "c": -0.8}
    y = (
        20
        + (1.5 + g_slope[g]) * x
        + 0.4 * x**2
        - 0.3 * k
        + 0.25 * k**2
        + 0.5 * z * (k == 2)
        + np.vectorize(f_effect.get)(f)
        + 0.3 * dose
        + g_effect[g]
        + h_effect[g, h]
        + rng.normal(0, 1.5, n)
    )
    return pd.DataFrame(
        {
            "y": y.round(4),
            "x": x.round(4),
            "z": z.round(4),
            "k": k,
            "f": f,
            "dose (mg)": dose.round(3),
            "g": [f"g{v + 1:02d}" for v in g],
            "h": [f"h{v + 1}" for v in h],
        }
    )


def write_inputs(rscript: str) -> None:
    (OUT / "data").mkdir(parents=True, exist_ok=True)
    (OUT / "reference").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    simulate(rng, 480).to_csv(OUT / "data" / "idioms.csv", index=False)
    simulate(rng, 40).to_csv(OUT / "data" / "idioms_new.csv", index=False)
    shutil.copy(ROOT / "mixedwidgets" / "datasets" / "sleepstudy.csv", OUT / "data" / "sleepstudy.csv")
    pastes = "write.csv(lme4::Pastes[, c('strength', 'batch', 'cask')], commandArgs(TRUE)[1], row.names = FALSE)"
    subprocess.run([rscript, "-e", pastes, str(OUT / "data" / "Pastes.csv")], check=True)  # lme4's data set
    rows = [["name", "csv", "formula", "r_formula", "reml", "factors"]]
    for name, formula, r_formula, reml, data in CASES:
        factors = {"sleepstudy": "Subject", "Pastes": "batch,cask"}.get(data, FACTORS)
        rows.append([name, data, formula, r_formula or formula, "TRUE" if reml else "FALSE", factors])
    (OUT / "cases.tsv").write_text("".join("\t".join(row) + "\n" for row in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rscript", default="Rscript")
    args = parser.parse_args()
    write_inputs(args.rscript)
    data = OUT / "data"
    subprocess.run(
        [
            args.rscript,
            str(SCRIPT),
            str(data / "idioms.csv"),
            str(data / "idioms_new.csv"),
            str(OUT / "cases.tsv"),
            str(OUT / "reference"),
        ],
        check=True,
    )


if __name__ == "__main__":
    main()
