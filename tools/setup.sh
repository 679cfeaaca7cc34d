#!/usr/bin/env bash
# Sets up a fresh machine for mixedwidgets: a virtual environment in .venv with the package and its
# extras, and (as root, when missing) Debian's chromium for the browser tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-test}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[${extras}]"
if [ "${extras}" = "test" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
  else
    echo "note: /usr/bin/chromium is missing; the browser tests need Debian's chromium package" >&2
  fi
fi
