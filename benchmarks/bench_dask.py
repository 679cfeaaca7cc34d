#!/usr/bin/env python3
"""mw.fit on a dask DataFrame read from Parquet files, on a LocalCluster of two worker processes.

    python benchmarks/bench_dask.py --rows 2000000 --groups 5000 --files 8 --compare
    python benchmarks/bench_dask.py --family binomial --rows 200000 --groups 2000 --files 4 --compare
    python benchmarks/bench_dask.py --rows 20000000 --groups 10000 --files 40

Writes `--files` Parquet files of `y ~ x + z + (1 + x | g)` data (x with SD 10, so the engine's
random-effect column scaling matters; binomial: y drawn from the logistic model of the same η, fitted
with `(1 | g)`), each file simulated on its own so the client never holds all rows; fits from
`dd.read_parquet` and prints the fit's wall and CPU seconds and the peak resident set size of the
client process (the workers hold the rows). `--compare` then reads everything into pandas and fits in
memory, printing its time and the differences (objective relative, fixed effects, SDs relative,
conditional modes) — after the client's peak has been recorded.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import mixedwidgets as mw  # noqa: E402 (after the sys.path line)

FORMULAS = {"gaussian": "y ~ x + z + (1 + x | g)", "binomial": "y ~ x + z + (1 | g)"}


def write_files(folder: Path, rows: int, groups: int, files: int, family: str, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    b = rng.multivariate_normal([0, 0], [[1.0, 0.0015], [0.0015, 0.0025]], size=groups)
    per_file = rows // files
    for k in range(files):
        g = rng.integers(0, groups, per_file)
        x, z = 10 * rng.normal(size=per_file), rng.normal(size=per_file)
        eta = 0.5 + 0.05 * x - 0.3 * z + b[g, 0] + b[g, 1] * x
        if family == "binomial":
            y = (rng.random(per_file) < 1 / (1 + np.exp(-eta))).astype(float)
        else:
            y = 1.5 + eta + rng.normal(size=per_file)
        pd.DataFrame({"y": y, "x": x, "z": z, "g": g}).to_parquet(folder / f"part{k:03d}.parquet")


def peak_client_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--groups", type=int, default=5_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--family", choices=sorted(FORMULAS), default="gaussian")
    parser.add_argument("--formula", help="instead of the family's default formula (columns y, x, z, g)")
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    print(f"load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        write_files(Path(tmp), args.rows, args.groups, args.files, args.family)
        formula = args.formula or FORMULAS[args.family]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cluster = LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
            )
        with cluster, Client(cluster):
            before = peak_client_gib()
            start, cpu = time.perf_counter(), time.process_time()
            model = mw.fit(formula, dd.read_parquet(tmp), family=args.family)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(
                f"{args.rows:,} rows in {args.files} Parquet files, {args.groups:,} groups: {formula} ({args.family})"
            )
            print(
                f"  dask fit {wall:.1f} s (client cpu {cpu:.1f} s), {model.optsummary.evaluations} evaluations, "
                f"converged={model.converged}; client peak RSS {peak_client_gib():.2f} GiB "
                f"({before:.2f} GiB before the fit)"
            )
            print(model.fixef.to_string())
        if args.compare:
            data = pd.read_parquet(tmp)
            start, cpu = time.perf_counter(), time.process_time()
            ref = mw.fit(formula, data, family=args.family)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(f"  in-memory fit {wall:.1f} s (cpu {cpu:.1f} s), {ref.optsummary.evaluations} evaluations")
            a, b = model.ranef(), ref.ranef()
            sd_ratio = model.varcorr.sdcor.to_numpy() / ref.varcorr.sdcor.to_numpy() - 1
            print(
                f"  dask vs in memory: objective {model.objective / ref.objective - 1:+.2e} (relative), "
                f"fixef {np.abs(model.fixef - ref.fixef).max():.2e}, "
                f"SDs {np.abs(sd_ratio).max():.2e} (relative), "
                f"modes {np.abs(a.condval.to_numpy() - b.condval.to_numpy()).max():.2e}"
            )
    print(f"load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
