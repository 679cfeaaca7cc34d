"""Degrees of freedom side by side: mixedwidgets vs lmerTest/pbkrtest on the same fitted models, one run.

usage: python benchmarks/bench_ddf.py [REPS]
Times the df work only (the fit is done once beforehand in both): Satterthwaite coefficient table
(lmerTest: as_lmerModLmerTest, i.e. its Hessian and Jacobian, + summary), Kenward-Roger coefficient
table, and type III anova with both methods. Medians of REPS repetitions; ours starts from a fresh
inference object each time (nothing cached).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import mixedwidgets as mw
from mixedwidgets.inference.ddf import LmmInference

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference" / "ddf"
CASES = [
    ("sleepstudy_reml", "Reaction ~ Days + (Days | Subject)", ["Subject"]),
    ("cake_reml", "angle ~ recipe * temp + (1 | recipe:replicate)", ["recipe", "temp", "replicate"]),
    ("factor_slope_reml", "y ~ f * x + (1 + x | g)", ["f", "g"]),
    ("variant_4", "y ~ c * a * x + (1 | h) + (1 | g)", ["a", "c", "g", "h"]),
]


def median_seconds(work, reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def ours(csv: Path, formula: str, factors: list[str], reps: int) -> dict:
    data = pd.read_csv(csv)
    for column in factors:
        data[column] = pd.Categorical(data[column])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = mw.fit(formula, data)
    fresh = lambda: LmmInference(m.design, m.engine_fit)
    return {
        "satterthwaite_coef": median_seconds(lambda: fresh().coef_table("satterthwaite"), reps),
        "kenward_roger_coef": median_seconds(lambda: fresh().coef_table("kenward-roger"), reps),
        "anova_satterthwaite": median_seconds(lambda: fresh().anova(data, "satterthwaite", 3), reps),
        "anova_kenward_roger": median_seconds(lambda: fresh().anova(data, "kenward-roger", 3), reps),
    }


def lmertest(csv: Path, formula: str, factors: list[str], reps: int) -> dict:
    run = subprocess.run(
        ["Rscript", str(ROOT / "benchmarks" / "r" / "ddf_timing.R"), str(csv), formula, ",".join(factors), str(reps)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout)


def main(reps: int) -> None:
    print(f"{'case':18s} {'task':22s} {'mixedwidgets ms':>16s} {'lmerTest ms':>12s} {'ratio':>7s}")
    for name, formula, factors in CASES:
        csv = REFERENCE / f"{name}.csv"
        a, b = ours(csv, formula, factors, reps), lmertest(csv, formula, factors, reps)
        for task in a:
            print(f"{name:18s} {task:22s} {1e3 * a[task]:16.2f} {1e3 * b[task]:12.1f} {b[task] / a[task]:7.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 11)
