#!/usr/bin/env python3
"""Make the lme4 answers for the sparse-tail tests (tests/reference/sparse/).

Each case simulates a small nested or crossed data set whose second and later random-effect terms
(the "tail") are the ones the sparse factorization handles, writes it to ``data/NAME.csv`` (rounded:
the CSV is the data) and stores the lme4 oracle's answer as ``NAME.json`` (timings dropped).
Several cases put a vector-valued term ``(1 + x | h)`` into the tail, where Λ must be applied as
Λ'SΛ and not ΛSΛ'. Needs R with lme4 and jsonlite::

    python tools/make_sparse_references.py
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "reference" / "sparse"
ORACLE = ROOT / "tools" / "r" / "fit_lme4.R"


def _slopes(rng, n, sd0, sd1, corr):
    cov = np.array([[sd0**2, corr * sd0 * sd1], [corr * sd0 * sd1, sd1**2]])
    return rng.multivariate_normal([0.0, 0.0], cov, size=n)


def tail_slope_crossed(rng):
    n_g, n_h, rows = 80, 15, 1500
    g, h, x = rng.integers(0, n_g, rows), rng.integers(0, n_h, rows), rng.normal(size=rows)
    bh = _slopes(rng, n_h, 1.0, 0.6, 0.5)
    y = 2.0 + 0.5 * x + rng.normal(0, 0.8, n_g)[g] + bh[h, 0] + bh[h, 1] * x + rng.normal(size=rows)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{v}" for v in g], "h": [f"h{v}" for v in h]})


def tail_slope_nested(rng):
    schools, classes, pupils = 40, 5, 8
    school = np.repeat(np.arange(schools), classes * pupils)
    klass = np.tile(np.repeat(np.arange(classes), pupils), schools)
    rows = school.size
    x = rng.normal(size=rows)
    bs = _slopes(rng, schools, 1.0, 0.5, -0.4)
    bc = rng.normal(0, 0.7, (schools, classes))[school, klass]
    y = 1.0 + 0.3 * x + bs[school, 0] + bs[school, 1] * x + bc + rng.normal(size=rows)
    return pd.DataFrame({"y": y, "x": x, "school": [f"s{v}" for v in school], "class": [f"c{v}" for v in klass]})


def nested_three_levels(rng):
    districts, schools, classes, pupils = 8, 5, 4, 6
    d = np.repeat(np.arange(districts), schools * classes * pupils)
    s = np.tile(np.repeat(np.arange(schools), classes * pupils), districts)
    c = np.tile(np.repeat(np.arange(classes), pupils), districts * schools)
    keep = rng.random(d.size) > 0.15  # unbalanced
    d, s, c = d[keep], s[keep], c[keep]
    x = rng.normal(size=d.size)
    y = (
        0.5 * x
        + rng.normal(0, 1.0, districts)[d]
        + rng.normal(0, 0.7, (districts, schools))[d, s]
        + rng.normal(0, 0.5, (districts, schools, classes))[d, s, c]
        + rng.normal(size=d.size)
    )
    return pd.DataFrame(
        {
            "y": y,
            "x": x,
            "district": [f"d{v}" for v in d],
            "school": [f"s{v}" for v in s],
            "class": [f"c{v}" for v in c],
        }
    )


def crossed_three(rng):
    rows = 1200
    a, b, c = rng.integers(0, 60, rows), rng.integers(0, 25, rows), rng.integers(0, 12, rows)
    x = rng.normal(size=rows)
    y = (
        1.0
        - 0.4 * x
        + rng.normal(0, 1.0, 60)[a]
        + rng.normal(0, 0.6, 25)[b]
        + rng.normal(0, 0.8, 12)[c]
        + rng.normal(size=rows)
    )
    return pd.DataFrame(
        {"y": y, "x": x, "a": [f"a{v}" for v in a], "b": [f"b{v}" for v in b], "c": [f"c{v}" for v in c]}
    )


def nested_binomial(rng):
    schools, classes, pupils = 30, 4, 10
    school = np.repeat(np.arange(schools), classes * pupils)
    klass = np.tile(np.repeat(np.arange(classes), pupils), schools)
    x = rng.normal(size=school.size)
    eta = -0.3 + 0.8 * x + rng.normal(0, 0.9, schools)[school] + rng.normal(0, 0.6, (schools, classes))[school, klass]
    y = (rng.random(school.size) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({"y": y, "x": x, "school": [f"s{v}" for v in school], "class": [f"c{v}" for v in klass]})


# name: (simulate, seed, formula, family, reml, factors)
CASES = {
    "tail_slope_crossed": (tail_slope_crossed, 101, "y ~ x + (1 | g) + (1 + x | h)", "gaussian", True, "g,h"),
    "tail_slope_nested": (
        tail_slope_nested,
        102,
        "y ~ x + (1 | school:class) + (1 + x | school)",
        "gaussian",
        True,
        "school,class",
    ),
    "nested_three_levels": (
        nested_three_levels,
        103,
        "y ~ x + (1 | district/school/class)",
        "gaussian",
        False,
        "district,school,class",
    ),
    "crossed_three": (crossed_three, 104, "y ~ x + (1 | a) + (1 | b) + (1 | c)", "gaussian", True, "a,b,c"),
    "nested_binomial": (nested_binomial, 105, "y ~ x + (1 | school/class)", "binomial", False, "school,class"),
}


def main() -> int:
    (OUT / "data").mkdir(parents=True, exist_ok=True)
    rows = []
    for name, (simulate, seed, formula, family, reml, factors) in CASES.items():
        data = simulate(np.random.default_rng(seed)).round(6)
        path = OUT / "data" / f"{name}.csv"
        data.to_csv(path, index=False)
        cmd = ["Rscript", str(ORACLE), str(path), formula, family, "TRUE" if reml else "FALSE", "1", factors, "1"]
        answer = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        for key in ("fit_seconds", "fit_seconds_median"):
            answer.pop(key, None)
        answer["simulation"] = {"seed": seed, "rows": len(data)}
        (OUT / f"{name}.json").write_text(json.dumps(answer, indent=1))
        rows.append([name, name, formula, family, "TRUE" if reml else "FALSE", "1", factors, "", "own"])
        print(name, answer["objective"])
    with open(OUT / "cases.tsv", "w", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(["name", "csv", "formula", "family", "reml", "nagq", "factors", "weights", "visibility"])
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
