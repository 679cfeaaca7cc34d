#!/usr/bin/env python3
"""Large nested, crossed and long designs: mixedwidgets and lme4 side by side, on the same data.

    python benchmarks/bench_scale.py --cases nested_5000x10            # one case, both engines
    python benchmarks/bench_scale.py --cases rows_20m --engines mixedwidgets
    python benchmarks/bench_scale.py --list

Each case is simulated once (fixed seed) and written to a CSV in a temporary directory. Each engine
fits it in a fresh process: mixedwidgets (`mw.fit`, REML) under `/usr/bin/time -v`-style accounting
(the child's peak resident set size, data included) and lme4 (`benchmarks/r/bench_lme4.R`, `lmer`,
REML, with the BLAS R was built with). Reported: fit seconds (data in memory, reading excluded),
the peak RSS of the whole process, the REML criterion and its difference from lme4's. A case whose
engine passes `--timeout` is reported as such. The machine is shared: run one case at a time.
For mixedwidgets also the time of a first `ranef()` after the fit: for crossed tails of 1,000
effects or more the conditional SDs are computed then, on first use (as lme4's `ranef()` does).

BLAS: this machine's environment pins OPENBLAS_CORETYPE=Haswell (and OPENBLAS_L2_SIZE) for old
OpenBLAS builds that fail on its processor; the current ones (numpy's 0.3.31, Debian's 0.3.21 under
R) run correctly without the pin and pick their AVX-512 kernels, 1.4–1.5× faster on a large dense
Cholesky. By default both engines' processes run without the two variables (the strong version of
each, as the machine's notes advise for benchmarks; the kernel numpy picks is printed);
`--blas-env pinned` keeps them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
R_SCRIPT = HERE / "r" / "bench_lme4.R"


def nested(schools: int, classes: int, rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    school = rng.integers(0, schools, rows)
    klass = rng.integers(0, classes, rows)
    x = rng.normal(size=rows)
    y = (
        1.0
        + 0.5 * x
        + rng.normal(0, 1.0, schools)[school]
        + rng.normal(0, 0.5, (schools, classes))[school, klass]
        + rng.normal(size=rows)
    )
    return pd.DataFrame({"y": y, "x": x, "school": school, "class": klass})


def crossed(levels: tuple[int, ...], rows: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    y = 1.0 + 0.5 * x + rng.normal(size=rows)
    out: dict[str, np.ndarray] = {"x": x}
    for name, n in zip("abc", levels):
        codes = rng.integers(0, n, rows)
        y += rng.normal(0, 0.7, n)[codes]
        out[name] = codes
    return pd.DataFrame({"y": y, **out})


def long_rows(rows: int, groups: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.arange(rows) % groups
    x = rng.normal(size=rows)
    z = rng.normal(size=rows)
    b = rng.multivariate_normal([0, 0], [[1.0, 0.15], [0.15, 0.25]], size=groups)
    y = 2.0 + 0.5 * x - 0.3 * z + b[g, 0] + b[g, 1] * x + rng.normal(size=rows)
    return pd.DataFrame({"y": y, "x": x, "z": z, "g": g})


CASES = {
    "nested_5000x10": (lambda: nested(5000, 10, 500_000), "y ~ x + (1 | school/class)", "school,class"),
    "nested_10000x5": (lambda: nested(10_000, 5, 500_000), "y ~ x + (1 | school/class)", "school,class"),
    "crossed_10000x10000": (lambda: crossed((10_000, 10_000), 500_000), "y ~ x + (1 | a) + (1 | b)", "a,b"),
    "crossed_20000x4000x3000": (
        lambda: crossed((20_000, 4_000, 3_000), 1_000_000),
        "y ~ x + (1 | a) + (1 | b) + (1 | c)",
        "a,b,c",
    ),
    "crossed_5000x5000": (lambda: crossed((5_000, 5_000), 250_000), "y ~ x + (1 | a) + (1 | b)", "a,b"),
    "crossed_2000x2000": (lambda: crossed((2_000, 2_000), 100_000), "y ~ x + (1 | a) + (1 | b)", "a,b"),
    "crossed_4000x800x600": (
        lambda: crossed((4_000, 800, 600), 200_000),
        "y ~ x + (1 | a) + (1 | b) + (1 | c)",
        "a,b,c",
    ),
    "rows_20m": (lambda: long_rows(20_000_000, 10_000), "y ~ x + z + (1 + x | g)", "g"),
}

CHILD = """
import json, resource, sys, time, warnings
sys.path.insert(0, {root!r})
import pandas as pd
import mixedwidgets as mw
if {path!r}.endswith(".npz"):   # columns as saved arrays: the frame costs its own size and no more
    import numpy as np
    with np.load({path!r}) as saved:
        data = pd.DataFrame({{k: saved[k] for k in saved.files}})
else:
    data = pd.read_csv({path!r})
for c in {factors!r}.split(","):
    data[c] = data[c].astype("category")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
start, cpu = time.perf_counter(), time.process_time()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    m = mw.fit({formula!r}, data, reml=True)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
start = time.perf_counter()
m.ranef()  # conditional modes and SDs (for large crossed tails the SDs are computed here, on first use)
ranef_seconds = time.perf_counter() - start
peak_with_ranef = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
from threadpoolctl import threadpool_info
kernels = sorted({{p.get("architecture", "?") for p in threadpool_info() if p.get("user_api") == "blas"}})
print(json.dumps({{"seconds": seconds, "cpu_seconds": cpu, "objective": m.objective, "blas": kernels,
                  "evaluations": m.optsummary.evaluations, "converged": bool(m.converged),
                  "fixef": m.fixef.to_dict(), "theta": m.theta.tolist(),
                  "rss_before_fit_gib": before, "peak_rss_gib": peak,
                  "ranef_seconds": ranef_seconds, "peak_with_ranef_gib": peak_with_ranef}}))
"""


#: the variables that pin OpenBLAS's kernels on this machine (see the module's docstring)
BLAS_PINS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
CHILD_ENV: dict[str, str] = dict(os.environ)


def run_mixedwidgets(path: Path, formula: str, factors: str, timeout: float) -> dict:
    code = CHILD.format(root=str(ROOT), path=str(path), formula=formula, factors=factors)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=False, env=CHILD_ENV
    )
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_lme4(path: Path, formula: str, factors: str, timeout: float) -> dict:
    cmd = ["/usr/bin/time", "-f", "%M", "Rscript", str(R_SCRIPT), str(path), formula, factors]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, env=CHILD_ENV)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1]}
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    answer["peak_rss_gib"] = int(out.stderr.strip().splitlines()[-1]) / 2**20
    return answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="nested_5000x10")
    parser.add_argument("--engines", default="mixedwidgets,lme4")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--list", action="store_true")
    parser.add_argument(
        "--blas-env",
        choices=("strong", "pinned"),
        default="strong",
        help="strong: both engines without this machine's OpenBLAS kernel pins (default); pinned: as set",
    )
    args = parser.parse_args()
    if args.blas_env == "strong":
        for name in BLAS_PINS:
            CHILD_ENV.pop(name, None)
    pins = {name: os.environ.get(name) for name in BLAS_PINS if name in os.environ}
    print(f"BLAS environment of both engines: {args.blas_env} (pins in this shell: {pins or 'none'})")
    if args.list:
        print("\n".join(f"{k}: {v[1]}" for k, v in CASES.items()))
        return 0
    print(f"load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.cases.split(","):
            simulate, formula, factors = CASES[name]
            data = simulate()
            path = Path(tmp) / f"{name}.npz"
            if name == "rows_20m":
                np.savez(path, **{c: data[c].to_numpy() for c in data.columns})
            else:
                path = path.with_suffix(".csv")
                data.to_csv(path, index=False)
            del data
            results = {}
            for engine in args.engines.split(","):
                run = run_mixedwidgets if engine == "mixedwidgets" else run_lme4
                try:
                    results[engine] = run(path, formula, factors, args.timeout)
                except subprocess.TimeoutExpired:
                    results[engine] = {"error": f"no answer in {args.timeout:.0f} s"}
            report(name, formula, results)
    print(f"load average at end: {os.getloadavg()}")
    return 0


def report(name: str, formula: str, results: dict) -> None:
    print(f"\n{name}: {formula}")
    ref = results.get("lme4", {}).get("objective")
    for engine, r in results.items():
        if "error" in r:
            print(f"  {engine:13s} {r['error']}")
            continue
        diff = "" if ref is None else f"  (vs lme4 {r['objective'] - ref:+.2e})"
        cpu = f" (cpu {r['cpu_seconds']:.1f} s)" if "cpu_seconds" in r else ""
        read = f"(data read: {r['rss_before_fit_gib']:.2f} GiB)  " if "rss_before_fit_gib" in r else ""
        print(
            f"  {engine:13s} {r['seconds']:8.1f} s{cpu}  peak {r['peak_rss_gib']:.2f} GiB  {read}"
            f"evaluations {r.get('evaluations')}  REML {r['objective']:.6f}{diff}"
            + (f"  BLAS kernel {','.join(r['blas'])}" if "blas" in r else "")
            + (
                f"\n  {'':13s} then ranef() {r['ranef_seconds']:.1f} s, peak {r['peak_with_ranef_gib']:.2f} GiB"
                if "ranef_seconds" in r
                else ""
            )
        )
    if (
        "lme4" in results
        and "mixedwidgets" in results
        and "error" not in results["lme4"]
        and "error" not in results["mixedwidgets"]
    ):
        print(f"  lme4 / mixedwidgets: {results['lme4']['seconds'] / results['mixedwidgets']['seconds']:.1f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
