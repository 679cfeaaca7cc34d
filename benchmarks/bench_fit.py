#!/usr/bin/env python3
"""Time mixedwidgets, lme4 and statsmodels on the same simulated data, in one run.

For every case the data are simulated once (fixed numpy seed), written to one CSV
in a temporary directory, and every engine fits that same file:

* mixedwidgets: ``mw.fit(formula, df, reml=True)`` (LMM) or
  ``mw.fit(formula, df, family="binomial")`` (GLMM, Laplace).  The whole call is
  timed (formula -> result) after one untimed warm-up call.
* lme4: the shared oracle script (``fit_lme4.R``) run with REPS + 1 repetitions;
  R reports each repetition's elapsed time, the first one is dropped as warm-up.
  Reading the CSV and building factors in R is not timed, nor is pandas' read
  for the Python engines.
* statsmodels: ``smf.mixedlm(...).fit(reml=True)`` where MixedLM can fit the model
  (one grouping factor); "n/a" otherwise.  Timed like mixedwidgets.

Reported per case and engine: median and minimum seconds over the repetitions,
the ratio of the median to mixedwidgets' median (>1 means slower than
mixedwidgets), and the objective each engine reached (REML criterion for REML
fits, -2 log-likelihood otherwise) with its difference from lme4's, so speed is
compared at equal answers.

    python benchmarks/bench_fit.py                      # all cases, 5 reps
    python benchmarks/bench_fit.py --quick --reps 3     # smaller sizes
    python benchmarks/bench_fit.py --cases sleepstudy,glmm_verbagg --engines lme4,statsmodels
    python benchmarks/bench_fit.py --json results.json  # also save raw times

Environment variables (BLAS threads etc.) are left exactly as the caller set them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from bench_cases import CASE_NAMES, CASES, BenchCase

ROOT = Path(__file__).resolve().parents[1]
if (ROOT / "mixedwidgets").is_dir() and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # benchmark the working tree this script lives in
DEFAULT_ORACLE = Path(__file__).resolve().parent.parent / "tools" / "r" / "fit_lme4.R"
ENGINES = ("mixedwidgets", "lme4", "statsmodels")


@dataclass
class Row:
    case: str
    engine: str
    times: list[float] = field(default_factory=list)
    objective: float | None = None
    status: str = "ok"  # ok | n/a | error | missing
    note: str = ""

    @property
    def median(self):
        return statistics.median(self.times) if self.times else None

    @property
    def minimum(self):
        return min(self.times) if self.times else None


# ---------------------------------------------------------------------------------------------
# engines
# ---------------------------------------------------------------------------------------------


def _objective_of(res):
    """REML criterion / -2 log L from a mixedwidgets result (tolerates a few spellings)."""
    for name in ("objective", "reml_criterion", "deviance"):
        v = getattr(res, name, None)
        if v is not None and not callable(v):
            return float(v)
    for name in ("loglik", "llf", "logLik"):
        v = getattr(res, name, None)
        if callable(v):
            v = v()
        if v is not None:
            return -2.0 * float(v)
    return None


def timed_repetitions(once: Callable, reps: int, times: list) -> tuple:
    """One untimed warm-up call, then `reps` timed calls (appended to `times`); returns the last
    result and the warnings recorded on the way."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = once()
        for _ in range(reps):
            t0 = time.perf_counter()
            res = once()
            times.append(time.perf_counter() - t0)
    return res, caught


def run_mixedwidgets(case: BenchCase, df: pd.DataFrame, reps: int) -> Row:
    row = Row(case.name, "mixedwidgets")
    try:
        import mixedwidgets as mw
    except Exception as e:  # noqa: BLE001
        row.status, row.note = "missing", f"cannot import mixedwidgets: {e}"
        return row
    if not hasattr(mw, "fit"):
        row.status, row.note = "missing", "mixedwidgets has no fit() yet"
        return row

    def once():
        if case.family == "gaussian":
            return mw.fit(case.formula, df, reml=True)
        return mw.fit(case.formula, df, family=case.family)

    try:
        res, caught = timed_repetitions(once, reps, row.times)
        row.objective = _objective_of(res)
        notes = []
        if getattr(res, "converged", True) is False:
            notes.append("not converged")
        if getattr(res, "singular", False):
            notes.append("singular")
        notes += sorted({type(w.message).__name__ for w in caught})
        row.note = "; ".join(notes)
    except Exception as e:  # noqa: BLE001
        row.status, row.note = "error", f"{type(e).__name__}: {e}"
        if os.environ.get("BENCH_TRACEBACK"):
            traceback.print_exc()
    return row


INSTALL_R = (
    "To add the lme4 column on Debian/Ubuntu: apt-get install -y r-base-core r-cran-lme4 "
    "r-cran-jsonlite libopenblas0-pthread (R then uses OpenBLAS, as most Linux users run it)."
)


def lme4_available(rscript: str | None) -> bool:
    """True when `rscript` runs and can load lme4 and jsonlite."""
    if not rscript:
        return False
    probe = subprocess.run(
        [rscript, "-e", "suppressMessages({library(lme4); library(jsonlite)})"], capture_output=True, text=True
    )
    return probe.returncode == 0


def run_lme4(case: BenchCase, csv_path: Path, reps: int, rscript: str | None, oracle: Path) -> Row:
    row = Row(case.name, "lme4")
    if not rscript:
        row.status, row.note = "missing", "Rscript not found; " + INSTALL_R
        return row
    if not oracle.exists():
        row.status, row.note = "missing", f"oracle script not found: {oracle}"
        return row
    cmd = [
        rscript,
        str(oracle),
        str(csv_path),
        case.formula,
        case.family,
        "TRUE",
        "1",
        ",".join(case.factors),
        str(reps + 1),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        row.status = "error"
        row.note = (proc.stderr.strip().splitlines() or ["Rscript failed"])[-1]
        return row
    out = json.loads(proc.stdout)
    secs = out["fit_seconds"]
    secs = secs if isinstance(secs, list) else [secs]
    row.times = [float(t) for t in secs[1:]]  # first repetition = warm-up
    row.objective = float(out["objective"])
    notes = [out["engine"]]
    if out.get("singular"):
        notes.append("singular")
    w = out.get("warnings")
    if w:
        notes.append("warnings: " + ("; ".join(w) if isinstance(w, list) else str(w)))
    row.note = "; ".join(notes)
    return row


def run_statsmodels(case: BenchCase, df: pd.DataFrame, reps: int) -> Row:
    row = Row(case.name, "statsmodels")
    if case.sm is None:
        row.status, row.note = "n/a", case.sm_na
        return row
    try:
        import statsmodels
        import statsmodels.formula.api as smf
    except Exception as e:  # noqa: BLE001
        row.status, row.note = "missing", f"cannot import statsmodels: {e}"
        return row
    spec = case.sm

    def once():
        model = smf.mixedlm(spec["formula"], df, groups=df[spec["groups"]], re_formula=spec["re_formula"])
        return model.fit(reml=case.family == "gaussian")

    try:
        res, caught = timed_repetitions(once, reps, row.times)
        # statsmodels' llf under REML is the restricted log-likelihood with the same constant
        # as lme4's REML criterion, so -2 * llf is comparable with lme4's objective.
        row.objective = -2.0 * float(res.llf)
        notes = [f"statsmodels {statsmodels.__version__} MixedLM"]
        if not res.converged:
            notes.append("not converged")
        kinds = sorted({type(w.message).__name__ for w in caught})
        if kinds:
            notes.append("warnings: " + ", ".join(kinds))
        row.note = "; ".join(notes)
    except Exception as e:  # noqa: BLE001
        row.status, row.note = "error", f"{type(e).__name__}: {e}"
    return row


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------


def fmt(v, spec):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        width = "".join(ch for ch in spec.split(".")[0] if ch.isdigit())
        return "-".rjust(int(width) if width else 1)
    return format(v, spec)


def print_table(rows: list[Row], reps: int):
    head = (
        f"{'case':17s} {'engine':13s} {'median s':>9s} {'min s':>9s} {'x mw':>7s} "
        f"{'objective':>14s} {'obj-lme4':>10s}  note"
    )
    print(head)
    print("-" * len(head))
    by_case: dict[str, list[Row]] = {}
    for r in rows:
        by_case.setdefault(r.case, []).append(r)
    for case, rs in by_case.items():
        mw = next((r for r in rs if r.engine == "mixedwidgets" and r.times), None)
        l4 = next((r for r in rs if r.engine == "lme4" and r.objective is not None), None)
        for r in rs:
            if r.status != "ok":
                print(f"{case:17s} {r.engine:13s} {r.status:>9s} {'':9s} {'':7s} {'':14s} {'':10s}  {r.note}")
                continue
            ratio = r.median / mw.median if mw and mw.median else None
            dobj = r.objective - l4.objective if (l4 and r.objective is not None) else None
            print(
                f"{case:17s} {r.engine:13s} {fmt(r.median, '9.3f')} {fmt(r.minimum, '9.3f')} "
                f"{fmt(ratio, '7.2f')} {fmt(r.objective, '14.4f')} {fmt(dobj, '10.2e')}  {r.note}"
            )
    print(
        f"\nmedian/min over {reps} timed repetitions after one warm-up; 'x mw' = median / mixedwidgets "
        "median; obj-lme4 = objective minus lme4's (negative = better optimum)."
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=",".join(CASE_NAMES), help=f"comma-separated subset of: {', '.join(CASE_NAMES)}")
    ap.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset of: " + ", ".join(ENGINES))
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions per engine (default 5)")
    ap.add_argument("--quick", action="store_true", help="smaller data sizes")
    ap.add_argument("--rscript", default=shutil.which("Rscript"), help="path to Rscript (default: on PATH)")
    ap.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE, help="lme4 oracle script")
    ap.add_argument("--keep-data", type=Path, default=None, help="write the CSVs here instead of a temp dir")
    ap.add_argument("--json", type=Path, default=None, help="also write raw results as JSON")
    ap.add_argument(
        "--glmm-sweep",
        type=int,
        default=0,
        metavar="N",
        help="after the table, N fresh random GLMMs against lme4 (bench_glmm_sweep.py): median and worst ratio",
    )
    ap.add_argument("--sweep-seed", type=int, default=None, help="seed of --glmm-sweep (default: from the clock)")
    args = ap.parse_args(argv)

    names = [c.strip() for c in args.cases.split(",") if c.strip()]
    bad = [n for n in names if n not in CASE_NAMES]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad_e = [e for e in engines if e not in ENGINES]
    if bad or bad_e:
        ap.error(f"unknown case(s)/engine(s): {', '.join(bad + bad_e)}")
    if args.reps < 1:
        ap.error("--reps must be >= 1")

    if "mixedwidgets" in engines:
        try:
            import mixedwidgets as mw

            if not hasattr(mw, "fit"):
                print(
                    "NOTE: mixedwidgets.fit() does not exist yet; mixedwidgets rows will say 'missing'.",
                    file=sys.stderr,
                )
        except Exception as e:  # noqa: BLE001
            print(f"NOTE: cannot import mixedwidgets ({e}); its rows will say 'missing'.", file=sys.stderr)
    if "lme4" in engines and not lme4_available(args.rscript):
        print("NOTE: R with lme4 was not found; lme4 rows will say 'missing'. " + INSTALL_R, file=sys.stderr)

    print(
        f"# python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus, "
        f"{'quick' if args.quick else 'full'} sizes, reps={args.reps}",
        flush=True,
    )

    tmp = None
    if args.keep_data:
        data_dir = args.keep_data
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="mw-bench-")
        data_dir = Path(tmp.name)
    rows: list[Row] = []
    try:
        for case in (c for c in CASES if c.name in names):
            df0 = case.make(np.random.default_rng(case.seed), args.quick)
            csv_path = data_dir / f"{case.name}.csv"
            df0.to_csv(csv_path, index=False)
            df = pd.read_csv(csv_path)  # every engine sees exactly the file's contents
            print(
                f"# {case.name}: {len(df):,} rows, "
                + ", ".join(f"{f}={df[f].nunique():,}" for f in case.factors)
                + f"  [{case.formula}, {case.family}]",
                flush=True,
            )
            for eng in engines:
                t0 = time.perf_counter()
                if eng == "mixedwidgets":
                    r = run_mixedwidgets(case, df, args.reps)
                elif eng == "lme4":
                    r = run_lme4(case, csv_path, args.reps, args.rscript, args.oracle)
                else:
                    r = run_statsmodels(case, df, args.reps)
                rows.append(r)
                print(
                    f"#   {eng:13s} {r.status:8s} median={fmt(r.median, '.3f')}s "
                    f"objective={fmt(r.objective, '.4f')}  ({time.perf_counter() - t0:.0f}s wall)",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        if tmp is not None:
            tmp.cleanup()

    print()
    print_table(rows, args.reps)
    if args.glmm_sweep:
        from bench_glmm_sweep import sweep  # same folder

        print()
        seed = args.sweep_seed if args.sweep_seed is not None else int(time.time()) % 100_000
        sweep(seed, args.glmm_sweep, min(args.reps, 3))
    if args.json:
        args.json.write_text(
            json.dumps(
                dict(
                    quick=args.quick,
                    reps=args.reps,
                    python=platform.python_version(),
                    rows=[
                        dict(
                            case=r.case,
                            engine=r.engine,
                            status=r.status,
                            times=r.times,
                            median=r.median,
                            objective=r.objective,
                            note=r.note,
                        )
                        for r in rows
                    ],
                ),
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
