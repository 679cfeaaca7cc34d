#!/usr/bin/env bash
# Sets up (tools/setup.sh) and runs every test: the linters (tools/lint.sh: ruff and mypy), pytest (engine,
# magic, widgets, notebooks and the JupyterLab browser test) and the front-end unit tests with Node's runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh test
bash tools/lint.sh
status=0
.venv/bin/python -m pytest -q -ra "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
[ "$status" = 0 ] || exit "$status"
node --test tests/js/
