#!/usr/bin/env bash
# The project's linters, as the test command runs them: ruff (lint and format) and mypy, clean.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
[ -x "$py" ] || py=python3
"$py" -m ruff check mixedwidgets tests tools benchmarks
"$py" -m ruff format --check mixedwidgets tests tools benchmarks
"$py" -m mypy mixedwidgets
