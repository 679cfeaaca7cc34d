#!/usr/bin/env python3
"""Negative-binomial and Gamma GLMMs: mixedwidgets beside glmmTMB and lme4's glmer.nb, same data, one run.

For each case the data are simulated once (numpy, fixed seed) and written to one CSV; every engine
fits that file. mixedwidgets: `mw.fit(formula, df, family=...)` timed whole (formula -> result) after
one untimed warm-up. R: benchmarks/r/time_families.R, REPS + 1 fits with the first dropped; reading the
CSV is not timed in either. Reported: median seconds, the ratio to mixedwidgets' median (> 1: slower
than mixedwidgets), and each engine's -2 log L minus mixedwidgets' (glmer.nb's Laplace uses the
expected information, so its -2 log L is another approximation: compare its θ instead) and θ / shape.

    python benchmarks/bench_families.py              # all cases, 3 reps
    python benchmarks/bench_families.py --quick      # the small cases only
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # benchmark the working tree this script lives in
R_SCRIPT = Path(__file__).resolve().parent / "r" / "time_families.R"

# name, family, link, random slope, groups, rows per group, dispersion
CASES = [
    ("nb_small", "negative_binomial", "log", False, 30, 10, 2.0),
    ("nb_slope_small", "negative_binomial", "log", True, 30, 10, 2.0),
    ("gamma_small", "gamma", "log", False, 30, 10, 3.0),
    ("gamma_slope_small", "gamma", "log", True, 30, 10, 3.0),
    ("nb_medium", "negative_binomial", "log", False, 200, 20, 2.0),
    ("nb_slope_medium", "negative_binomial", "log", True, 200, 20, 2.0),
    ("gamma_medium", "gamma", "log", False, 200, 20, 3.0),
    ("gamma_slope_medium", "gamma", "log", True, 200, 20, 3.0),
    ("nb_large", "negative_binomial", "log", False, 2000, 20, 2.0),
]


def simulate(family, slope, n_groups, per_group, dispersion, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), per_group)
    x = rng.normal(size=len(g))
    b0, b1 = rng.normal(0, 0.6, n_groups), rng.normal(0, 0.3, n_groups) if slope else np.zeros(n_groups)
    mu = np.exp(0.5 + 0.4 * x + b0[g] + b1[g] * x)
    y = (
        rng.negative_binomial(dispersion, dispersion / (dispersion + mu))
        if family == "negative_binomial"
        else rng.gamma(dispersion, mu / dispersion)
    )
    return pd.DataFrame({"y": y, "x": x, "g": g})


def time_ours(formula, data, family, link, reps):
    import mixedwidgets as mw

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = mw.fit(formula, data, family=family, link=link)
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            model = mw.fit(formula, data, family=family, link=link)
            times.append(time.perf_counter() - start)
    return {"seconds": times, "objective": model.objective, "dispersion": model.dispersion}


def time_r(csv, formula, family, link, reps):
    out = subprocess.run(
        ["Rscript", str(R_SCRIPT), str(csv), formula, family, link, str(reps)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "R failed"}
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small cases only")
    parser.add_argument("--json", help="also save the raw times here")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.quick or c[0].endswith("small")]
    rows, raw = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, family, link, slope, n_groups, per, dispersion in cases:
            formula = "y ~ x + (1 + x | g)" if slope else "y ~ x + (1 | g)"
            data = simulate(family, slope, n_groups, per, dispersion)
            csv = Path(tmp) / f"{name}.csv"
            data.to_csv(csv, index=False)
            results = {
                "mixedwidgets": time_ours(formula, data, family, link, args.reps),
                **time_r(csv, formula, family, link, args.reps),
            }
            raw[name] = results
            base = statistics.median(results["mixedwidgets"]["seconds"])
            for engine, r in results.items():
                if "seconds" not in r:
                    rows.append((name, len(data), engine, "error", "", "", "", r.get("error", "")))
                    continue
                median = statistics.median(r["seconds"])
                rows.append(
                    (
                        name,
                        len(data),
                        engine,
                        f"{median:.3f}",
                        f"{median / base:.2f}",
                        f"{r['objective'] - results['mixedwidgets']['objective']:+.2e}",
                        f"{r['dispersion']:.4f}",
                        "",
                    )
                )
            print(f"done {name}", file=sys.stderr, flush=True)
    table = pd.DataFrame(
        rows, columns=["case", "n", "engine", "median_s", "ratio_to_mw", "d_minus2logL", "theta_or_shape", "note"]
    )
    print(table.to_string(index=False))
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
