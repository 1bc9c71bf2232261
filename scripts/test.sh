#!/usr/bin/env bash
# Install everything the test suite needs, then run the whole suite: README's test command, and what CI runs.
#   bash scripts/test.sh [pytest options]     e.g. bash scripts/test.sh tests/test_core.py -x
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1

# Real Fashion-MNIST with no network: Debian's files (where there is a network, tensorflow-datasets downloads it)
if command -v apt-get >/dev/null 2>&1 && ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null; } ||
    echo "scripts/test.sh: could not install dataset-fashion-mnist; Fashion-MNIST will be downloaded instead" >&2
fi

# A real browser for tests/test_docs.py, which opens the website (bash scripts/docs.sh) in headless Chromium:
# Debian's chromium and chromium-driver (never a browser download); without them that test skips, saying why.
# And a real colour set for the own-images notebook: the emoji of fonts-noto-color-emoji, listed by unicode-data
DEBS="chromium chromium-driver fonts-noto-color-emoji unicode-data"
if command -v apt-get >/dev/null 2>&1 && ! dpkg -s $DEBS >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $DEBS >/dev/null; } ||
    echo "scripts/test.sh: could not install $DEBS; tests/test_docs.py will skip and nbs/12_own_images.ipynb will fail" >&2
fi

# The package with its dev requirements (nbdev 2 pins, nbval, pytest, build, jupyterlab; Sphinx + MyST-NB and selenium
# for the website) in the clone's own venv
PY=$(command -v python3.11 || command -v python3)
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip wheel setuptools  # (tests/test_pretrained.py builds a wheel without isolation)
python -m pip install -q -e ".[dev]"

# Unit tests in tests/, then every notebook in nbs/ re-executed on the small CPU budget (see pytest.ini)
python -m pytest "$@"
