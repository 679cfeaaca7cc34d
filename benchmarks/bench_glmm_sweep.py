#!/usr/bin/env python3
"""Speed over fresh random GLMMs: mixedwidgets and lme4 (glmer, Laplace) on the same data, one after the other.

    python benchmarks/bench_glmm_sweep.py                 # 40 random GLMMs from a fresh seed, 3 reps each
    python benchmarks/bench_glmm_sweep.py --seed 5 --cases 20 --reps 5

The cases are those of the convergence sweep (`sweep_cases.glmm_case`: binary, cbind, Poisson with and
without an offset; random intercepts, correlated slopes, crossed factors; 300-15,000 rows; predictor
scales 1-100). lme4 runs first, alone (`tools/r/sweep_lme4.R` with REPS: one untimed fit, then the median
of REPS), then mixedwidgets, alone (one untimed fit, then the median of REPS `mw.fit` calls, formula to
result). Printed per case: both medians, lme4 / ours (> 1: we are faster), the difference of −2 log L;
then the median ratio, the worst ratio and how many fits were slower than lme4's. Not a test: the
machine must be quiet for the numbers to mean anything (check `uptime`).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from sweep_cases import SweepCase, sweep_cases  # noqa: E402 (after the sys.path line)
from sweep_lme4 import R_SCRIPT, lme4_answers, write_manifest  # noqa: E402

import mixedwidgets as mw  # noqa: E402 (after the sys.path line)


def time_ours(case: SweepCase, reps: int) -> dict:
    data = case.data.copy()
    for column in case.factors:
        data[column] = data[column].astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = mw.fit(case.formula, data, family=case.family)
        except Exception as exc:  # noqa: BLE001 (a failure is a result)
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            mw.fit(case.formula, data, family=case.family)
            times.append(time.perf_counter() - start)
    return {"ok": True, "seconds": float(np.median(times)), "objective": model.objective}


def time_lme4(cases: list[SweepCase], folder: Path, reps: int) -> dict[str, dict]:
    if shutil.which("Rscript") is None:
        return {}
    manifest = write_manifest(cases, folder)
    process = subprocess.Popen(
        ["Rscript", str(R_SCRIPT), str(manifest), str(reps)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return lme4_answers(process)


def sweep(seed: int, n_cases: int, reps: int, echo=print) -> dict:
    """Run the sweep; return the ratios (lme4 / ours) and print one line per case through echo."""
    cases = sweep_cases(seed, 0, n_cases)
    echo(f"GLMM speed sweep, seed {seed}: {len(cases)} cases, median of {reps} fits each")
    with tempfile.TemporaryDirectory() as tmp:
        theirs = time_lme4(cases, Path(tmp), reps)  # first, alone
    ratios = []
    for case in cases:
        ours, other = time_ours(case, reps), theirs.get(case.name, {})
        head = f"{case.name:26s} n={len(case.data):6d} {case.formula[:44]:44s}"
        if not ours["ok"]:
            echo(f"{head} OURS FAILED: {ours['error'][:100]}")
            continue
        if not other.get("ok"):
            echo(f"{head} ours {ours['seconds'] * 1e3:8.1f} ms   lme4 -")
            continue
        ratio = other["seconds"] / ours["seconds"]
        ratios.append(ratio)
        diff = ours["objective"] - other["objective"]
        echo(
            f"{head} ours {ours['seconds'] * 1e3:8.1f} ms  lme4 {other['seconds'] * 1e3:8.1f} ms"
            f"  x{ratio:6.2f}  d(-2logL) {diff:+.1e}"
        )
    if ratios:
        echo(
            f"GLMM sweep: median ratio lme4/ours {np.median(ratios):.2f}, worst {min(ratios):.2f}, "
            f"{sum(r < 1 for r in ratios)} of {len(ratios)} slower than lme4"
        )
    return {"ratios": ratios}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    sweep(args.seed, args.cases, args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
