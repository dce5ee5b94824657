#!/usr/bin/env bash
# Steps per second against the number of parameters, elbo and JAX in the same run (issue
# #17's scaling figure; docs/PERFORMANCE.md, "Scaling against JAX"): the 64-W-W-10 tanh
# network with biases and a categorical likelihood on scikit-learn's digits (1257 training
# rows), 128 rows per step drawn with replacement, float32, mean-field ADVI with one draw
# per step, Adam(0.01), for W from 2 to 900 (162 to 878,410 parameters). One thread, both
# sides pinned to one CPU with taskset; elbo as `elbo fit` runs (its own steps/s), JAX as
# peer_jax_mlp.py's compiled lax.scan (compilation left out). Writes
# build-peers/scaling-peers/{scaling.csv, scaling.md, scaling.png}.
#
#   bash bench/peers/run_scaling_peers.sh           # about 5 minutes on 2 cores
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"  # ROOT, PEERS, VENV, BUILD, say, peers_*
PEERS_TAG=scaling-peers
OUT="${SCALING_OUT:-$BUILD/scaling-peers}"
if [[ $# -gt 0 ]]; then
  echo "usage: bash bench/peers/run_scaling_peers.sh" >&2
  exit 2
fi
# width:steps, the steps chosen for a few seconds of fitting on each side.
WIDTHS="${SCALING_WIDTHS:-2:20000 8:20000 24:10000 64:5000 160:2000 400:500 900:120}"

peers_setup_venv
if [[ ! -f "$BUILD/CMakeCache.txt" ]] || ! grep -q '^ELBO_BUILD_APPS:BOOL=ON' "$BUILD/CMakeCache.txt"; then
  say "configuring $BUILD with the command-line tool (-DELBO_BUILD_APPS=ON)"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DELBO_BUILD_APPS=ON -DELBO_BUILD_TESTS=OFF >&2
fi
nice cmake --build "$BUILD" -j"${PEERS_BUILD_JOBS:-2}" --target elbo_cli >&2
ELBO="$BUILD/bin/elbo"
peers_one_thread

rm -rf "$OUT"
mkdir -p "$OUT/data" "$OUT/models"
PY="$VENV/bin/python"
"$PY" "$PEERS/make_size_data.py" "$OUT/data" --synth-train 100 --synth-test 10 >&2  # only the digits files are used
D="$OUT/data"
{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -r)"
  echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- elbo: $("$ELBO" --version), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), portable Release build"
  echo "- jax: $("$PY" -c 'import jax; print(jax.__version__)') (pip); one thread, both sides pinned to CPU ${PEERS_CPU:-0}"
} > "$OUT/env.txt"

ONE=(taskset -c "${PEERS_CPU:-0}")
cd "$PEERS"
for ws in $WIDTHS; do
  w=${ws%%:*}
  steps=${ws##*:}
  say "width $w, $steps steps"
  "${ONE[@]}" "$PY" "$PEERS/time_elbo_fit.py" --elbo "$ELBO" --train "$D/digits_train.csv" --test "$D/digits_test.csv" \
    --steps "$steps" --threads 1 --hidden "$w,$w" --batch-size 128 --out "$OUT/models/w$w.elbo" \
    > "$OUT/w$w--elbo.json" 2> "$OUT/w$w--elbo.log"
  "${ONE[@]}" "$PY" "$PEERS/peer_jax_mlp.py" --train "$D/digits_train.csv" --test "$D/digits_test.csv" \
    --steps "$steps" --threads 1 --hidden "$w,$w" --batch-size 128 > "$OUT/w$w--jax.json" 2> "$OUT/w$w--jax.log"
done
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/env.txt"
"$PY" "$PEERS/summarize_scaling.py" "$OUT" | tee "$OUT/scaling.md"
say "results in $OUT"
