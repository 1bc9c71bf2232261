#!/usr/bin/env bash
# Build the website into _site/ from the notebooks' stored outputs (nothing is executed; no network needed), with
# Sphinx + MyST-NB + sphinx-book-theme (pip install -e ".[dev]"). See docs/make_site.py for what it does.
#   bash scripts/docs.sh                      then: python -m http.server -d _site   and open http://localhost:8000
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
export PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3
exec python docs/make_site.py "$@"
