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

# shellcheck source=bench/peers/setup_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"  # ROOT, PEERS, VENV, BUILD, say, peers_*
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

peers_install_torch  # PyTorch from Debian (PyPI's torch would pull the CUDA wheels)
peers_setup_venv
peers_build tutorial_fit_timing
ELBO="$BUILD/bench/tutorial_fit_timing"
peers_one_thread

rm -rf "$OUT"
mkdir -p "$OUT"
"$VENV/bin/python" "$PEERS/make_data.py" "$OUT/data" >&2
ARGS=(--train "$OUT/data/train.csv" --test "$OUT/data/test.csv"
      --full-steps "$FULL_STEPS" --minibatch-steps "$MB_STEPS")

{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -r)"
  echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- $(peers_python_versions), torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') (Debian python3-torch)"
  echo "- elbo: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (plus uncommitted changes, if any), $(grep -m1 CMAKE_CXX_COMPILER: "$BUILD/CMakeCache.txt" | sed 's/.*=//') Release"
  echo "- steps: $FULL_STEPS full batch, $MB_STEPS minibatch; float32; 1 thread${PEERS_CPU:+; pinned to CPU $PEERS_CPU}"
} > "$OUT/env.txt"

cd "$PEERS"
peers_run elbo-1 "$ELBO"
peers_run numpyro "$VENV/bin/python" peer_numpyro.py
peers_run elbo-2 "$ELBO"
peers_run pymc "$VENV/bin/python" peer_pymc.py
# Debian's torch 1.13 is built against Debian's NumPy 1.x, while the venv holds NumPy 2.x
# for JAX and PyMC: the PyTorch peer runs on Debian's interpreter (the one the venv was made
# from, so the same Python and the same torch) without the venv's site-packages.
peers_run pytorch /usr/bin/python3 peer_torch.py
peers_run elbo-3 "$ELBO"
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/env.txt"

"$VENV/bin/python" "$PEERS/summarize.py" "$OUT" | tee "$OUT/summary.md"
say "results in $OUT"
