#!/usr/bin/env python3
"""Regenerate the extra lme4 golden cases in tests/reference/extra/.

Every case simulates a small data set with a fixed numpy seed, writes it to
``tests/reference/extra/data/NAME.csv`` (values rounded, so the CSV *is* the
data), fits it once with lme4 through the shared oracle script and stores the
oracle's answer as ``tests/reference/extra/NAME.json``.  ``cases.tsv`` lists the
cases with the same columns as ``tests/reference/cases.tsv``.

The JSON is the oracle's output with three changes: the timing fields are
dropped (they change on every run), ``r_messages`` holds whatever R printed on
stderr (for example lme4's "boundary (singular) fit" message or convergence
warnings) and ``simulation`` records the seed and the true parameter values.
``warnings`` is lme4's own list of convergence messages (``{}`` when none).
For nAGQ > 1 cases ``laplace_objective``/``laplace_fixef``/``laplace_theta`` hold
lme4's Laplace (nAGQ = 1) fit to the same data, because lme4's ``objective``
under quadrature is on another scale (not -2 log L).

Needs R with lme4 and jsonlite.  Usage::

    python tools/make_references.py                 # all cases
    python tools/make_references.py nested_reml ... # only these
    python tools/make_references.py --list
    python tools/make_references.py --oracle PATH --rscript PATH

Simulation is deterministic (numpy PCG64 with the seed in each case); lme4's
answer is deterministic for a given lme4/R/BLAS build.  The references were
made with lme4 1.1-31 on R 4.2.2.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from reference_cases import CASES, Case

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "reference" / "extra"
DEFAULT_ORACLE = Path(__file__).resolve().parent.parent / "tools" / "r" / "fit_lme4.R"
TSV_COLUMNS = ["name", "csv", "formula", "family", "reml", "nagq", "factors", "weights", "visibility"]


def csv_name(case: Case) -> str:
    # nested_ml shares nested_reml's data
    return "nested" if case.name.startswith("nested_") else case.name


def run_oracle(rscript: str, oracle: Path, csv_path: Path, case: Case) -> tuple[dict, list[str]]:
    cmd = [
        rscript,
        str(oracle),
        str(csv_path),
        case.formula,
        case.family,
        "TRUE" if case.reml else "FALSE",
        str(case.nagq),
        ",".join(case.factors),
        "1",
    ]
    if case.weights:
        cmd.append(case.weights)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"oracle failed for {case.name}:\n{proc.stderr}")
    msgs = [
        ln.strip() for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("Loading required package")
    ]
    return json.loads(proc.stdout), msgs


def make_case(case: Case, rscript: str, oracle: Path) -> dict:
    rng = np.random.default_rng(case.seed)
    df, truth = case.simulate(rng)
    data_dir = OUT / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    csv_path = data_dir / f"{csv_name(case)}.csv"
    df.to_csv(csv_path, index=False)
    size_kb = csv_path.stat().st_size / 1024
    if size_kb > 300:
        raise RuntimeError(f"{csv_path} is {size_kb:.0f} KB (limit ~300 KB)")
    res, msgs = run_oracle(rscript, oracle, csv_path, case)
    for k in ("fit_seconds", "fit_seconds_median"):
        res.pop(k, None)
    res["r_messages"] = msgs
    if case.nagq > 1:
        # lme4's objective under nAGQ > 1 is not -2 log L (see tests/reference/README); store the
        # Laplace fit's -2 log L on the same data, which a proper quadrature -2 log L lies close to.
        lap, _ = run_oracle(rscript, oracle, csv_path, replace(case, nagq=1))
        res["laplace_objective"] = lap["objective"]
        res["laplace_fixef"] = lap["fixef"]
        res["laplace_theta"] = lap["theta"]
    res["simulation"] = dict(
        generator="tools/make_references.py",
        seed=case.seed,
        rows=int(len(df)),
        description=case.description,
        truth=truth,
    )
    if case.expect_singular is not None and bool(res["singular"]) != case.expect_singular:
        raise RuntimeError(f"{case.name}: expected singular={case.expect_singular}, lme4 says {res['singular']}")
    with open(OUT / f"{case.name}.json", "w") as fh:
        json.dump(res, fh, indent=1)
        fh.write("\n")
    return res


def write_tsv(cases):
    with open(OUT / "cases.tsv", "w", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(TSV_COLUMNS)
        for c in cases:
            w.writerow(
                [
                    c.name,
                    csv_name(c),
                    c.formula,
                    c.family,
                    "TRUE" if c.reml else "FALSE",
                    c.nagq,
                    ",".join(c.factors),
                    c.weights,
                    "own",
                ]
            )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="cases to (re)make; default all")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--rscript", default=os.environ.get("RSCRIPT", "Rscript"))
    ap.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE)
    args = ap.parse_args(argv)
    if args.list:
        for c in CASES:
            print(f"{c.name:24s} {c.family:9s} nAGQ={c.nagq} {c.formula}")
        return 0
    known = {c.name for c in CASES}
    bad = set(args.names) - known
    if bad:
        ap.error(f"unknown case(s): {', '.join(sorted(bad))}")
    todo = [c for c in CASES if not args.names or c.name in args.names]
    OUT.mkdir(parents=True, exist_ok=True)
    for c in todo:
        r = make_case(c, args.rscript, args.oracle)
        warn = r.get("warnings") or []
        print(
            f"{c.name:24s} nobs={r['nobs']:6d} objective={r['objective']:.4f} "
            f"singular={r['singular']} warnings={warn} r_messages={r['r_messages']}",
            flush=True,
        )
    write_tsv(CASES)  # always the full list
    return 0


if __name__ == "__main__":
    sys.exit(main())
