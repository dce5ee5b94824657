#!/usr/bin/env bash
# The Python package against the C++ library on the tutorial's fits, with NumPyro and PyMC
# in the same session (docs/PERFORMANCE.md, "From Python").
#
#   bash bench/peers/run_python_peers.sh            # 30000 full-batch, 40000 minibatch steps
#   bash bench/peers/run_python_peers.sh --quick    # 3000 / 4000 steps, a smoke test
#
# It sets up bench/peers/.venv as run_peers.sh does, pip-installs this checkout's Python
# package into it (built from source, cached in $ELBO_BUILD_DIR/python-build), builds
# bench/tutorial_fit_timing, writes the data once, then runs C++, Python, NumPyro, C++,
# Python, PyMC, C++, Python, one thread each, and prints the table (summarize_python.py).
# Environment: PEERS_OUT (default $ELBO_BUILD_DIR/python-peers), PEERS_CPU as run_peers.sh.
set -euo pipefail

# shellcheck source=bench/peers/setup_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"  # ROOT, PEERS, VENV, BUILD, say, peers_*
OUT="${PEERS_OUT:-$BUILD/python-peers}"
FULL_STEPS=30000
MB_STEPS=40000
if [[ "${1:-}" == "--quick" ]]; then
  FULL_STEPS=3000
  MB_STEPS=4000
elif [[ $# -gt 0 ]]; then
  echo "usage: bash bench/peers/run_python_peers.sh [--quick]" >&2
  exit 2
fi

peers_setup_venv
say "pip install the elbo package from $ROOT"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  --config-settings=build-dir="$BUILD/python-build" "$ROOT" >&2
peers_build tutorial_fit_timing
peers_one_thread

rm -rf "$OUT"
mkdir -p "$OUT"
"$VENV/bin/python" "$PEERS/make_data.py" "$OUT/data" >&2
ARGS=(--train "$OUT/data/train.csv" --test "$OUT/data/test.csv" --full-steps "$FULL_STEPS" --minibatch-steps "$MB_STEPS")
{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- $(peers_python_versions)"
  echo "- elbo: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (plus uncommitted changes, if any); Release; float32; 1 thread"
} > "$OUT/env.txt"

cd "$PEERS"
peers_run elbo-1 "$BUILD/bench/tutorial_fit_timing"
peers_run elbo-python-1 "$VENV/bin/python" peer_elbo_python.py
peers_run numpyro "$VENV/bin/python" peer_numpyro.py
peers_run elbo-2 "$BUILD/bench/tutorial_fit_timing"
peers_run elbo-python-2 "$VENV/bin/python" peer_elbo_python.py
peers_run pymc "$VENV/bin/python" peer_pymc.py
peers_run elbo-3 "$BUILD/bench/tutorial_fit_timing"
peers_run elbo-python-3 "$VENV/bin/python" peer_elbo_python.py
"$VENV/bin/python" "$PEERS/summarize_python.py" "$OUT" | tee "$OUT/summary.md"
