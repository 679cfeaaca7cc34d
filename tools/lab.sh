#!/usr/bin/env bash
# Sets up (tools/setup.sh) and opens JupyterLab on the quick-start notebook and its bundled data.
# Extra arguments go to `jupyter lab` (e.g. --port 8899 --no-browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh "lab,gee"   # gee: statsmodels, used by some notebooks
extra=()
if [ "$(id -u)" = "0" ]; then
  extra+=(--allow-root)   # JupyterLab refuses to start as root without it
fi
exec .venv/bin/jupyter lab notebooks/01_quickstart.ipynb "${extra[@]}" "$@"
