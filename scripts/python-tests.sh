#!/usr/bin/env bash
# The Python part of `make test`: a fresh virtual environment, the package installed into
# it by pip from this checkout (its extension linked against the libelbo.a that `make
# build` left in the build directory, so the library is compiled once), then pytest.
# Usage: scripts/python-tests.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
venv="$build/python-venv"
rm -rf "$venv"
/usr/bin/python3 -m venv "$venv"
echo "elbo: installing the Python package into a fresh virtual environment ($venv)"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  --config-settings=cmake.define.ELBO_PREBUILT_DIR="$build" \
  --config-settings=build-dir="$build/python-build" ".[test]"
"$venv/bin/python" -m pytest -q python/tests
