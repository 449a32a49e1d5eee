#!/usr/bin/env bash
# Lint, then the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
. tools/env.sh
"$PY" -m ruff check .
# The browser tests drive Debian's Chromium; install it when missing.
bash tools/ensure-chromium.sh
"$PY" -m pytest "$@"
