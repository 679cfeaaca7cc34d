#!/usr/bin/env python3
"""Plant known bugs, one at a time, in a scratch copy of the package and check that the tests catch each.

Each bug is an exact text replacement in one file (the script fails loudly if the text is no longer there,
so the list follows the code) and names the test files that must fail. The catalogue is tools/planted/,
one file per layer; docs/testing.md lists them.

    python tools/planted_bugs.py            # all
    python tools/planted_bugs.py pearson    # those whose name contains a word
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from planted import BUGS, Bug  # tools/planted/: the catalogue, one file per layer

ROOT = Path(__file__).resolve().parents[1]


def run(bug: Bug, python: str) -> bool:
    """True when the tests fail with the bug planted (and pass without it is checked by the suite)."""
    with tempfile.TemporaryDirectory(prefix="planted-") as scratch:
        copy = Path(scratch) / "repo"
        shutil.copytree(ROOT / "mixedwidgets", copy / "mixedwidgets")
        shutil.copytree(ROOT / "tests", copy / "tests", ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
        shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
        (copy / "js").symlink_to(ROOT / "js")  # the widgets (test_hybrid.py imports them) read the ES modules
        target = copy / bug.path
        text = target.read_text()
        if text.count(bug.old) != 1:
            raise SystemExit(f"{bug.name}: the text to replace occurs {text.count(bug.old)} times in {bug.path}")
        target.write_text(text.replace(bug.old, bug.new))
        env = {**os.environ, "PYTHONPATH": str(copy)}
        proc = subprocess.run(
            [python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *bug.tests],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
        )
        imported = (
            "planted-"
            in subprocess.run(
                [python, "-c", "import mixedwidgets; print(mixedwidgets.__file__)"],
                cwd=copy,
                env=env,
                capture_output=True,
                text=True,
            ).stdout
        )
        if not imported:
            raise SystemExit("the scratch copy was not the package imported: check PYTHONPATH")
        # a test whose fixture fails (ERROR: the fit raised) has noticed the bug too
        failed = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR tests/"))]
        caught = proc.returncode == 1 and bool(failed)
        print(
            f"{'caught ' if caught else 'MISSED '} {bug.name}: " + (failed[0] if failed else proc.stdout[-200:]),
            flush=True,
        )
        return caught


def main(argv: list[str]) -> int:
    chosen = [b for b in BUGS if not argv or any(word in b.name for word in argv)]
    missed = [b.name for b in chosen if not run(b, sys.executable)]
    print(f"{len(chosen) - len(missed)}/{len(chosen)} planted bugs caught" + (f"; missed: {missed}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
