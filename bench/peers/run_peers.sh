#!/usr/bin/env bash
# elbo against its Python peers on the tutorial's two fits (docs/PERFORMANCE.md, "Peers").
#
#   bash bench/peers/run_peers.sh            # the tutorial's step counts: 30000 full batch, 40000 minibatch
#   bash bench/peers/run_peers.sh --quick    # 3000 / 4000 steps, a smoke test
#
# Environment: PEERS_FULL_STEPS, PEERS_MINIBATCH_STEPS override the step counts;
# PEERS_CPU=0 pins every process to that CPU with taskset; ELBO_BUILD_DIR (default
# build-peers) is where bench/tutorial_fit_timing is built; PEERS_OUT (default
# $ELBO_BUILD_DIR/peers) receives the data, each peer's JSON line and summary.md.
#
# What it does: installs Debian's python3-torch if missing (apt-get; needs root), makes a
# virtual environment bench/peers/.venv with --system-site-packages, pip-installs
# requirements.txt (NumPyro + JAX on the CPU, PyMC, scikit-learn) into it, builds elbo's
# timing program, writes the data once (sklearn make_moons, scaled, split half/half), then
# runs elbo, NumPyro, elbo, PyMC, PyTorch, elbo on that data, one thread each, and prints
# the table. Not part of `make test`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEERS="$ROOT/bench/peers"
VENV="$PEERS/.venv"
BUILD="${ELBO_BUILD_DIR:-$ROOT/build-peers}"
OUT="${PEERS_OUT:-$BUILD/peers}"
FULL_STEPS="${PEERS_FULL_STEPS:-30000}"
MB_STEPS="${PEERS_MINIBATCH_STEPS:-40000}"
if [[ "${1:-}" == "--quick" ]]; then
  FULL_STEPS="${PEERS_FULL_STEPS:-3000}"
  MB_STEPS="${PEERS_MINIBATCH_STEPS:-4000}"
elif [[ $# -gt 0 ]]; then
  echo "usage: bash bench/peers/run_peers.sh [--quick]" >&2
  exit 2
fi

say() { printf '[peers] %s\n' "$*" >&2; }

# --- PyTorch from Debian (PyPI's torch would pull the CUDA wheels) ---------------------
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  say "installing Debian's python3-torch"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get install -y python3-torch >&2
fi

# --- the virtual environment ------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating $VENV (with Debian's site-packages, for torch)"
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
say "pip install -r bench/peers/requirements.txt"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$PEERS/requirements.txt" >&2

# --- elbo's timing program --------------------------------------------------------------
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DELBO_BUILD_APPS=OFF \
    -DELBO_BUILD_TESTS=OFF >&2
fi
cmake --build "$BUILD" -j2 --target tutorial_fit_timing >&2
ELBO="$BUILD/bench/tutorial_fit_timing"

# --- one thread for everyone ------------------------------------------------------------
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export XLA_FLAGS="--xla_force_host_platform_device_count=1 --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
export PYTENSOR_FLAGS="floatX=float32"
export JAX_PLATFORMS=cpu
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree
PIN=()
if [[ -n "${PEERS_CPU:-}" ]]; then PIN=(taskset -c "$PEERS_CPU"); fi

rm -rf "$OUT"
mkdir -p "$OUT"
"$VENV/bin/python" "$PEERS/make_data.py" "$OUT/data" >&2
ARGS=(--train "$OUT/data/train.csv" --test "$OUT/data/test.csv"
      --full-steps "$FULL_STEPS" --minibatch-steps "$MB_STEPS")

{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -r)"
  echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- python $("$VENV/bin/python" -c 'import platform; print(platform.python_version())'), $("$VENV/bin/python" -c 'import jax, jaxlib, numpyro, pymc, pytensor, sklearn, numpy; print(f"jax {jax.__version__}, jaxlib {jaxlib.__version__}, numpyro {numpyro.__version__}, pymc {pymc.__version__}, pytensor {pytensor.__version__}, scikit-learn {sklearn.__version__}, numpy {numpy.__version__}")'), torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') (Debian python3-torch)"
  echo "- elbo: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (plus uncommitted changes, if any), $(grep -m1 CMAKE_CXX_COMPILER: "$BUILD/CMakeCache.txt" | sed 's/.*=//') Release"
  echo "- steps: $FULL_STEPS full batch, $MB_STEPS minibatch; float32; 1 thread${PEERS_CPU:+; pinned to CPU $PEERS_CPU}"
} > "$OUT/env.txt"

run() {  # name, command...
  local name=$1
  shift
  say "running $name"
  "${PIN[@]}" "$@" "${ARGS[@]}" > "$OUT/$name.json" 2> "$OUT/$name.log" || {
    say "$name failed; see $OUT/$name.log"
    tail -n 20 "$OUT/$name.log" >&2
    return 1
  }
}

cd "$PEERS"
run elbo-1 "$ELBO"
run numpyro "$VENV/bin/python" peer_numpyro.py
run elbo-2 "$ELBO"
run pymc "$VENV/bin/python" peer_pymc.py
# Debian's torch 1.13 is built against Debian's NumPy 1.x, while the venv holds NumPy 2.x
# for JAX and PyMC: the PyTorch peer runs on Debian's interpreter (the one the venv was made
# from, so the same Python and the same torch) without the venv's site-packages.
run pytorch /usr/bin/python3 peer_torch.py
run elbo-3 "$ELBO"
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/env.txt"

"$VENV/bin/python" "$PEERS/summarize.py" "$OUT" | tee "$OUT/summary.md"
say "results in $OUT"
