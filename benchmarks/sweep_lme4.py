#!/usr/bin/env python3
"""Convergence sweep: fresh random LMMs and GLMMs fitted by mixedwidgets and by lme4 (issue 9).

    python benchmarks/sweep_lme4.py --seed 7 --lmm 20 --glmm 15     # random cases from that seed
    python benchmarks/sweep_lme4.py --hard --lmm 0 --glmm 0         # the shapes reported in issue 9
    python benchmarks/sweep_lme4.py --large 8 --lmm 0 --glmm 0      # LMMs with large tails (crossed)
    python benchmarks/sweep_lme4.py --seed 7 --save tests/reference/sweep   # store data + lme4's answers

Per case: our objective (REML criterion, or −2 log L) against lme4's, the difference, the convergence
warnings on each side and the fit times. Acceptance (printed in the summary): LMMs never above lme4's
optimum by more than 1e-6 relative, GLMMs by more than 1e-3; no failure; no convergence warning where
lme4 gives none. Without R (or with --no-r) only our side runs.
"""

from __future__ import annotations

import argparse
import json
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

from sweep_cases import SweepCase, hard_cases, large_tail_cases, sweep_cases  # noqa: E402 (after the sys.path line)

import mixedwidgets as mw  # noqa: E402 (after the sys.path line)

R_SCRIPT = ROOT / "tools" / "r" / "sweep_lme4.R"
LMM_TOLERANCE = 1e-6  # relative
GLMM_TOLERANCE = 1e-3  # absolute, on −2 log L


def write_manifest(cases: list[SweepCase], folder: Path) -> Path:
    """Each case's data as CSV in folder, and the manifest R reads (tools/r/sweep_lme4.R)."""
    rows = ["name\tcsv\tformula\tfamily\treml\tfactors"]
    for case in cases:
        csv = folder / f"{case.name}.csv"
        case.data.to_csv(csv, index=False)
        rows.append(
            f"{case.name}\t{csv}\t{case.formula}\t{case.family}\t{str(case.reml).upper()}\t{','.join(case.factors)}"
        )
    manifest = folder / "manifest.tsv"
    manifest.write_text("\n".join(rows) + "\n")
    return manifest


def run_lme4(cases: list[SweepCase], folder: Path) -> subprocess.Popen | None:
    """Start R on all cases (in the background); None without Rscript."""
    if shutil.which("Rscript") is None:
        return None
    manifest = write_manifest(cases, folder)
    return subprocess.Popen(
        ["Rscript", str(R_SCRIPT), str(manifest)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )


def lme4_answers(process: subprocess.Popen | None) -> dict[str, dict]:
    if process is None:
        return {}
    out, _ = process.communicate()
    answers = {}
    for line in out.splitlines():
        if line.strip().startswith("{"):
            record = json.loads(line)
            answers[record["name"]] = record
    return answers


def fit_ours(case: SweepCase) -> dict:
    data = case.data.copy()
    for column in case.factors:
        data[column] = data[column].astype(str)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = mw.fit(case.formula, data, reml=case.reml, family=case.family)
        except Exception as exc:  # noqa: BLE001  (a failure is a result of the sweep)
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    seconds = time.perf_counter() - start
    doubts = [str(w.message) for w in caught if "converge" in str(w.message)]
    return {
        "ok": True,
        "objective": model.objective,
        "theta": model.theta.tolist(),
        "fixef": model.fixef.tolist(),
        "singular": model.singular,
        "warnings": doubts,
        "converged": model.converged,
        "seconds": seconds,
        "evaluations": model.optsummary.evaluations,
    }


def lme4_doubts(answer: dict) -> list[str]:
    return [w for w in answer.get("warnings") or [] if not w.startswith("boundary (singular)")]


def judge(case: SweepCase, ours: dict, theirs: dict | None) -> dict:
    """Differences and the acceptance verdict of one case."""
    verdict = {"name": case.name, "failed": not ours["ok"], "excess": None, "false_alarm": False}
    if not ours["ok"] or not theirs or not theirs.get("ok"):
        return verdict
    diff = ours["objective"] - theirs["objective"]
    if case.family == "gaussian":
        verdict["excess"] = diff / abs(theirs["objective"]) > LMM_TOLERANCE
    else:
        verdict["excess"] = diff > GLMM_TOLERANCE
    verdict["diff"] = diff
    verdict["false_alarm"] = bool(ours["warnings"]) and not lme4_doubts(theirs)
    return verdict


def report_line(case: SweepCase, ours: dict, theirs: dict | None, verdict: dict) -> str:
    n = len(case.data)
    head = f"{case.name:34s} n={n:6d} {case.family[:5]:5s}"
    if not ours["ok"]:
        return f"{head} OURS FAILED: {ours['error'][:120]}"
    mine = f"ours {ours['objective']:.6f} ({ours['seconds'] * 1000:7.1f} ms, {ours['evaluations']} ev)"
    flags = (" W:" + "|".join(w[:60] for w in ours["warnings"])) if ours["warnings"] else ""
    if not theirs or not theirs.get("ok"):
        return f"{head} {mine}{flags}  lme4: {'-' if not theirs else theirs.get('error')}"
    other = f"lme4 {theirs['objective']:.6f} ({theirs['seconds'] * 1000:7.1f} ms)"
    lflags = (" lme4W:" + "|".join(w[:50] for w in lme4_doubts(theirs))) if lme4_doubts(theirs) else ""
    mark = " <-- ABOVE" if verdict["excess"] else ""
    mark += " <-- FALSE ALARM" if verdict["false_alarm"] else ""
    return f"{head} {mine} {other} diff {verdict['diff']:+.2e}{flags}{lflags}{mark}"


def save_reference(folder: Path, case: SweepCase, theirs: dict, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    case.data.to_csv(folder / f"{case.name}.csv", index=False)
    record = {
        "name": case.name,
        "seed": seed,
        "formula": case.formula,
        "family": case.family,
        "reml": case.reml,
        "factors": list(case.factors),
        "lme4": theirs,
    }
    (folder / f"{case.name}.json").write_text(json.dumps(record, indent=1) + "\n")


def summary(cases: list[SweepCase], verdicts: list[dict]) -> str:
    lines = []
    for label, prefix in (("LMM", "gaussian"), ("GLMM", None)):
        chosen = [v for c, v in zip(cases, verdicts) if (c.family == "gaussian") == (prefix == "gaussian")]
        if not chosen:
            continue
        diffs = [v["diff"] for v in chosen if "diff" in v]
        lines.append(
            f"{label}: {len(chosen)} cases, {sum(v['failed'] for v in chosen)} failed, "
            f"{sum(bool(v['excess']) for v in chosen)} above lme4 beyond tolerance, "
            f"{sum(v['false_alarm'] for v in chosen)} warnings where lme4 has none; "
            f"diff ours-lme4 min {min(diffs, default=np.nan):+.2e} max {max(diffs, default=np.nan):+.2e}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--lmm", type=int, default=20)
    parser.add_argument("--glmm", type=int, default=15)
    parser.add_argument("--hard", action="store_true", help="add the issue-9 shapes (hard_cases)")
    parser.add_argument("--large", type=int, default=0, help="add LMMs with large tails (500-2,500 effects)")
    parser.add_argument("--only", default="", help="comma list of case names to run")
    parser.add_argument("--no-r", action="store_true")
    parser.add_argument("--save", type=Path, help="store each case's data and lme4's answer here")
    args = parser.parse_args(argv)
    cases = sweep_cases(args.seed, args.lmm, args.glmm) + (hard_cases(args.seed) if args.hard else [])
    cases += large_tail_cases(args.seed, args.large)
    if args.only:
        cases = [c for c in cases if c.name in args.only.split(",")]
    print(f"seed {args.seed}: {len(cases)} cases")
    with tempfile.TemporaryDirectory() as tmp:
        process = None if args.no_r else run_lme4(cases, Path(tmp))
        results = [fit_ours(case) for case in cases]
        answers = lme4_answers(process)
    verdicts = []
    for case, ours in zip(cases, results):
        theirs = answers.get(case.name)
        verdicts.append(judge(case, ours, theirs))
        print(report_line(case, ours, theirs, verdicts[-1]), flush=True)
        if args.save and theirs and theirs.get("ok"):
            save_reference(args.save, case, theirs, args.seed)
    print(summary(cases, verdicts))
    bad = sum(v["failed"] or bool(v["excess"]) or v["false_alarm"] for v in verdicts)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
