#!/usr/bin/env python3
"""Peak memory of a large linear mixed model: 1,000,000 rows, 10,000 groups, a random slope.

    /usr/bin/time -v python benchmarks/memory_check.py            # "Maximum resident set size"
    python benchmarks/memory_check.py --trace                     # where the memory goes (tracemalloc)
    python benchmarks/memory_check.py --rows 200000 --groups 2000 # smaller

The model is ``y ~ x + (1 + x | g)`` fitted by REML; the target is a peak below 2 GiB. The
script prints the fit's estimates, the wall time of simulation and fit, and the peak resident
set size the process itself saw (``resource.getrusage``), which is what ``time -v`` reports.
With ``--trace`` it also prints tracemalloc's peak and the lines holding the most memory at
that peak (tracing slows the fit several-fold).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if (ROOT / "mixedwidgets").is_dir() and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # measure the working tree this script lives in

import mixedwidgets as mw  # noqa: E402

FORMULA = "y ~ x + (1 + x | g)"
LIMIT_BYTES = 2 * 1024**3


def simulate(rows: int, groups: int, seed: int = 1) -> pd.DataFrame:
    """Balanced groups, a random intercept (sd 1) and slope (sd 0.5, corr 0.3), residual sd 1."""
    rng = np.random.default_rng(seed)
    g = np.arange(rows) % groups
    x = rng.normal(size=rows)
    cov = np.array([[1.0, 0.15], [0.15, 0.25]])
    b = rng.multivariate_normal(np.zeros(2), cov, size=groups)
    y = 2.0 + 0.5 * x + b[g, 0] + b[g, 1] * x + rng.normal(size=rows)
    labels = np.char.add("g", np.arange(groups).astype(str))
    return pd.DataFrame({"y": y, "x": x, "g": pd.Categorical.from_codes(g, labels)})


def peak_rss_bytes() -> int:
    """The process's peak resident set size (Linux reports kibibytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def report_trace(snapshot: tracemalloc.Snapshot, top: int) -> None:
    print(f"\ntracemalloc: the {top} lines holding the most memory at the end of the fit")
    for stat in snapshot.statistics("lineno")[:top]:
        print(f"  {stat.size / 2**20:9.1f} MiB  {stat.traceback}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--trace", action="store_true", help="trace allocations with tracemalloc")
    parser.add_argument("--top", type=int, default=15, help="lines shown with --trace")
    args = parser.parse_args()

    start = time.perf_counter()
    data = simulate(args.rows, args.groups)
    simulated = time.perf_counter()
    print(
        f"simulated {args.rows:,} rows, {args.groups:,} groups in {simulated - start:.1f} s; "
        f"peak RSS so far {peak_rss_bytes() / 2**20:.0f} MiB"
    )
    if args.trace:
        tracemalloc.start(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mw.MixedModelWarning)
        model = mw.fit(FORMULA, data)
    fitted = time.perf_counter()
    if args.trace:
        current, peak = tracemalloc.get_traced_memory()
        print(f"tracemalloc: peak {peak / 2**20:.0f} MiB of Python/NumPy allocations during the fit")
        report_trace(tracemalloc.take_snapshot(), args.top)
        tracemalloc.stop()
    print(
        f"\n{FORMULA}: fit in {fitted - simulated:.1f} s, {model.optsummary.evaluations} evaluations, "
        f"converged={model.converged}"
    )
    print(model.fixef.to_string())
    print(model.varcorr.to_string())
    peak = peak_rss_bytes()
    verdict = "within" if peak <= LIMIT_BYTES else "OVER"
    print(f"\npeak RSS {peak / 2**20:.0f} MiB ({verdict} the 2 GiB limit); total wall {fitted - start:.1f} s")
    return 0 if peak <= LIMIT_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
