#!/usr/bin/env python3
"""Mutation testing of the engine, results and fitting layers with mutmut (outside CI; see docs/testing.md).

mutmut changes the code in small ways (an operator, a constant, an argument dropped: a "mutant") and runs
the tests against each change; a mutant that no test notices "survives". This script runs mutmut in a
scratch copy of the repository (the work tree is never touched), with the fast non-browser tests as the
test command, and prints the score and every survivor with its diff.

    pip install -e '.[mutation]'
    python tools/mutation.py                                   # results/ and fitting/
    python tools/mutation.py --layer backend --files agq.py family.py   # a sample of the engine
    python tools/mutation.py --show-only                       # the last run's survivors again

Mutant names look like mixedwidgets.results.icc.x_icc_at__mutmut_3; `--pattern` restricts a run to
names matching a glob (mutmut's own selection). Runs are slow on purpose: every mutant runs the tests
that cover its function (mutmut maps them in a first traced run); allow about 1-3 s per mutant per core.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"results": "mixedwidgets/results", "fitting": "mixedwidgets/fitting", "backend": "mixedwidgets/backend"}
#: the fast non-browser tests: everything but the browser, the notebooks and the JavaScript
TESTS = [
    "tests/backend",
    "tests/results",
    "tests/fitting",
    "tests/design",
    "tests/formula",
    "tests/simulation",
    "tests/datasets",
    "tests/widgets",
    "tests/magic",
    "tests/test_package_structure.py",
]
PYTEST_ARGS = ["-p", "no:cacheprovider", "-m", "not browser", "-q", "-W", "ignore"]


def _config(globs: list[str], tests: list[str]) -> str:
    quoted = lambda items: "[" + ", ".join(json.dumps(i) for i in items) + "]"
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["mixedwidgets"]\n'
        f"only_mutate = {quoted(globs)}\n"
        f"pytest_add_cli_args_test_selection = {quoted(tests)}\n"
        f"pytest_add_cli_args = {quoted(PYTEST_ARGS)}\n"
        "use_git_change_detection = false\n"
        'also_copy = ["js/"]\n'
    )


def prepare(workdir: Path, globs: list[str], tests: list[str]) -> None:
    """A copy of the tracked files (plus the work tree's changes) with a [tool.mutmut] section."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    workdir.mkdir(parents=True, exist_ok=True)
    for name in files:
        source = ROOT / name
        if source.is_file() and not name.startswith(("notebooks/", "js/node_modules/")):
            target = workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.read_bytes() != source.read_bytes():
                shutil.copy2(source, target)
    pyproject = workdir / "pyproject.toml"
    text = re.sub(r"\n\[tool\.mutmut\].*?(?=\n\[|\Z)", "", pyproject.read_text(), flags=re.S)
    pyproject.write_text(text + _config(globs, tests))


def run_mutmut(workdir: Path, children: int, patterns: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # mutmut puts mutants/ first itself
    subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *patterns],
        cwd=workdir,
        env=env,
        check=False,
    )


def results(workdir: Path) -> dict[str, str]:
    """mutant name -> status (killed, survived, no tests, timeout, suspicious, skipped, not checked)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    status = {}
    for line in out.splitlines():
        match = re.match(r"\s*(\S+__mutmut_\d+):\s*(.+)$", line)
        if match:
            status[match.group(1)] = match.group(2).strip()
    return status


def _functions(path: Path) -> dict[str, str]:
    """Every function's source in a mutated file, by name (mutmut keeps the original as ..._mutmut_orig)."""
    text = path.read_text()
    found = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in node.name:
            found[node.name] = ast.get_source_segment(text, node) or ""
    return found


def show(workdir: Path, name: str, cache: dict[Path, dict[str, str]] = {}) -> str:  # noqa: B006 (a cache)
    """The mutant's diff against the original function (what `mutmut show` prints, without a process each)."""
    module, function = name.rsplit(".", 1)
    path = workdir / "mutants" / Path(*module.split(".")).with_suffix(".py")
    if path not in cache:
        cache[path] = _functions(path)
    original = cache[path].get(function.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", "")
    mutant = cache[path].get(function, "")
    strip = lambda src: [line.strip() for line in src.splitlines()[1:]]  # without the def line (names differ)
    return "\n".join(difflib.unified_diff(strip(original), strip(mutant), lineterm="", n=0))


def changed_lines(diff: str) -> tuple[str, str]:
    """The removed and the added text of a mutant's diff (first line of each)."""
    old = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    new = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return (old[0] if old else ""), (new[0] if new else "")


def _without_keywords(text: str) -> str:
    text = re.sub(r",?\s*(dtype|rcond|kind)=[^,)]*", "", text)
    return re.sub(r",\s*\)", ")", text)


def category(old: str, new: str) -> str:
    """A first reading of a survivor (docs/testing.md explains each kind); 'gap' means a test is missing."""
    strip = lambda text: re.sub(r"(\"[^\"]*\"|'[^']*')", "S", text)
    if "einsum(" in new and new.lower() == old.lower():
        return "equivalent: einsum subscripts in upper case"
    if strip(old) == strip(new) and old != new:
        return "text: a message, label or note changed"
    if re.search(r"(Error|warn_user|notes?\.append|messages?\.append)\(None\)", new):
        return "text: a message replaced by None"
    if _without_keywords(old) == _without_keywords(new):
        return "equivalent: a keyword whose value does not matter here"
    return "gap"


def write_markdown(status: dict[str, str], workdir: Path, path: Path) -> None:
    rows = []
    for name in sorted(n for n, s in status.items() if s in ("survived", "no tests", "suspicious")):
        old, new = changed_lines(show(workdir, name))
        rows.append((name, status[name], category(old, new), old, new))
    lines = ["| mutant | status | reading | was | became |", "| --- | --- | --- | --- | --- |"]
    cell = lambda text: "`" + text.replace("|", "\\|").replace("`", "'")[:110] + "`"
    lines += [f"| {n.replace('mixedwidgets.', '')} | {s} | {c} | {cell(o)} | {cell(w)} |" for n, s, c, o, w in rows]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[2]] = counts.get(row[2], 0) + 1
    summary = [f"- {k}: {v}" for k, v in sorted(counts.items())]
    path.write_text(
        "# Surviving mutants (generated by tools/mutation.py --markdown)\n\n"
        + "\n".join(summary)
        + "\n\n"
        + "\n".join(lines)
        + "\n"
    )


def report(status: dict[str, str], workdir: Path, diffs: bool) -> int:
    counts: dict[str, int] = {}
    for value in status.values():
        counts[value] = counts.get(value, 0) + 1
    tested = sum(v for k, v in counts.items() if k not in ("not checked", "skipped"))
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    print(f"mutants: {len(status)}; " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    if tested:
        print(f"score (killed or timed out / checked): {killed}/{tested} = {100 * killed / tested:.1f}%")
    survivors = sorted(n for n, s in status.items() if s in ("survived", "no tests", "suspicious"))
    for name in survivors:
        print(f"\n=== {name} ({status[name]})")
        if diffs:
            print(show(workdir, name))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layer", nargs="+", choices=sorted(LAYERS), default=["results", "fitting"])
    parser.add_argument("--files", nargs="*", default=[], help="only these file names inside the layer(s)")
    parser.add_argument("--pattern", nargs="*", default=[], help="mutant name globs for mutmut run")
    parser.add_argument("--tests", nargs="+", default=TESTS, help="test paths (default: the fast non-browser tests)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mixedwidgets-mutation"))
    parser.add_argument("--children", type=int, default=1, help="parallel workers (the machine has 2 cores)")
    parser.add_argument("--show-only", action="store_true", help="report the last run without running")
    parser.add_argument("--no-diffs", action="store_true")
    parser.add_argument("--markdown", type=Path, help="write the survivors, with a first reading of each, here")
    args = parser.parse_args(argv)
    globs = [f"{LAYERS[layer]}/{name}" for layer in args.layer for name in (args.files or ["*"])]
    if not args.show_only:
        prepare(args.workdir, globs, args.tests)
        run_mutmut(args.workdir, args.children, args.pattern)
    status = results(args.workdir)
    if args.markdown:
        write_markdown(status, args.workdir, args.markdown)
    return report(status, args.workdir, diffs=not args.no_diffs)


if __name__ == "__main__":
    sys.exit(main())
