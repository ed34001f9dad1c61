#!/usr/bin/env bash
# Creates .venv and installs the project from a wheel folder kept outside the repository,
# because pip caches nothing here and torch alone is 3 GB. Wheels already in the folder are
# reused; only missing ones are downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS="${RISKGRAPH_WHEELS:-$HOME/.cache/riskgraph/wheels}"
PYTHON="${PYTHON:-python3.11}"
mkdir -p "$WHEELS"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
if ! .venv/bin/pip install -q --no-index --find-links "$WHEELS" -r requirements.lock; then
    echo "bootstrap: fetching missing wheels into $WHEELS" >&2
    .venv/bin/pip download -q -d "$WHEELS" --find-links "$WHEELS" -r requirements.lock
    .venv/bin/pip install -q --no-index --find-links "$WHEELS" -r requirements.lock
fi
.venv/bin/pip install -q --no-index --no-deps --no-build-isolation -e .
touch .venv/.installed
