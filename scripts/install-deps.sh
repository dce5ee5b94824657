#!/usr/bin/env bash
# Installs the Debian packages elbo builds with, when any is missing. Nothing else is
# downloaded. Run as root (or with sudo available).
set -euo pipefail
packages=(g++ make cmake ninja-build pkg-config libeigen3-dev libgtest-dev libgmock-dev
          libbenchmark-dev libcli11-dev nlohmann-json3-dev librandom123-dev gnuplot-nox
          clang libclang-rt-14-dev   # clang and libFuzzer: fuzz/run_fuzzers.sh
          python3-dev python3-venv   # the Python package (pyproject.toml; its PyPI deps go into a venv)
          libopenmpi-dev openmpi-bin)  # data-parallel `mpirun elbo fit` (ELBO_MPI) and its tests
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "elbo: installing missing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
