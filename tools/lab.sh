#!/usr/bin/env bash
# Sets up (tools/setup.sh) and opens JupyterLab on the quick-start notebook and its bundled data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh lab
exec .venv/bin/jupyter lab notebooks/01_quickstart.ipynb "$@"
