#!/usr/bin/env python3
"""Profile intervals and parametric bootstraps: mixedwidgets and lme4 side by side, in one run.

For each case the same CSV is given to both engines. Timed:
* profile intervals: `m.confint("profile")` against lme4's `confint(m, method = "profile")`
  (median of REPS repetitions each; the model fit itself is not timed);
* bootstrap: `m.bootstrap(nsim, seed=1, progress=False)` on every core (and on one) against lme4's
  `bootMer(m, FUN, nsim)` collecting θ, β and σ (one run each: they are long).
The largest difference between the two engines' profile intervals, as a share of lme4's interval
width, is printed beside the times, so speed is compared at equal answers. The machine's load average
is printed too: on a shared machine, run it twice and compare.

    python benchmarks/bench_inference.py                       # sleepstudy, cake, unbalanced, cbpp
    python benchmarks/bench_inference.py --cases sleepstudy --nsim 1000 --reps 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # benchmark the working tree this script lives in

import mixedwidgets as mw  # noqa: E402 (after the sys.path line)

R_SCRIPT = Path(__file__).resolve().parent / "r" / "bench_inference.R"
DATA = ROOT / "tests" / "inference" / "data"

CASES = {  # name: (loader, formula, family, R factors, bootstrap draws per engine at most)
    "sleepstudy": (
        lambda: mw.datasets.load("sleepstudy"),
        "Reaction ~ Days + (Days | Subject)",
        "gaussian",
        "Subject",
        None,
    ),
    "cake": (
        lambda: pd.read_csv(DATA / "intervals_cake.csv").astype({"temperature": str, "replicate": str}),
        "angle ~ recipe * temperature + (1 | recipe:replicate)",
        "gaussian",
        "temperature,replicate",
        None,
    ),
    "unbalanced": (
        lambda: pd.read_csv(DATA / "intervals_unbalanced.csv"),
        "y ~ f * x + (1 + x | g)",
        "gaussian",
        "",
        None,
    ),
    "cbpp": (
        lambda: mw.datasets.load("cbpp"),
        "cbind(incidence, size - incidence) ~ period + (1 | herd)",
        "binomial",
        "period,herd",
        200,
    ),
}


def timed(call, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def run_r(csv: Path, formula: str, family: str, factors: str, reps: int, nsim: int) -> dict:
    cmd = ["Rscript", str(R_SCRIPT), str(csv), formula, family, factors, str(reps), str(nsim)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def bench_case(name: str, reps: int, nsim: int, folder: Path) -> dict:
    load, formula, family, factors, cap = CASES[name]
    nsim = min(nsim, cap or nsim)
    data = load()
    csv = folder / f"{name}.csv"
    data.to_csv(csv, index=False)
    m = mw.fit(formula, pd.read_csv(csv).astype({c: str for c in factors.split(",") if c}), family=family)
    m.confint("profile")  # warm-up (imports, caches)
    ours_profile = timed(lambda: m.confint("profile"), reps)
    ours_ci = m.confint("profile")
    boot_all = timed(lambda: m.bootstrap(nsim, seed=1, progress=False, n_jobs=-1), 1)[0]
    boot_one = timed(lambda: m.bootstrap(nsim, seed=1, progress=False, n_jobs=1), 1)[0]
    r = run_r(csv, formula, family, factors, reps, nsim)
    width = np.array(r["upper"], dtype=float) - np.array(r["lower"], dtype=float)
    gap = max(
        np.max(np.abs(ours_ci.lower.to_numpy() - np.array(r["lower"], dtype=float)) / width),
        np.max(np.abs(ours_ci.upper.to_numpy() - np.array(r["upper"], dtype=float)) / width),
    )
    return {
        "case": name,
        "nsim": nsim,
        "profile_mw": statistics.median(ours_profile),
        "profile_lme4": statistics.median(r["profile_seconds"]),
        "profile_gap_of_width": float(gap),
        "boot_mw_all_cores": boot_all,
        "boot_mw_one_core": boot_one,
        "boot_lme4": r["boot_seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--nsim", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}, cores: {os.cpu_count()}")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.cases.split(","):
            row = bench_case(name, args.reps, args.nsim, Path(folder))
            rows.append(row)
            print(
                f"{name:11s} profile: mw {row['profile_mw']:.3f} s, lme4 {row['profile_lme4']:.3f} s "
                f"({row['profile_lme4'] / row['profile_mw']:.1f}x; intervals differ by at most "
                f"{100 * row['profile_gap_of_width']:.2f}% of the width) | bootstrap {row['nsim']} refits: "
                f"mw {row['boot_mw_all_cores']:.2f} s ({row['boot_mw_one_core']:.2f} s on one core), "
                f"lme4 {row['boot_lme4']:.2f} s ({row['boot_lme4'] / row['boot_mw_all_cores']:.1f}x)",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
