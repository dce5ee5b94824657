#!/usr/bin/env bash
# Time and peak memory of the work after a fit (docs/PERFORMANCE.md, "After the fit: bounded
# memory"): `elbo predict` and `elbo evaluate` at their defaults (500 draws, every core) on
#   784-400  the 784-400-400-10 network of the size peers (bench/peers/run_size_peers.sh),
#            fitted for 300 steps of 128 rows, at its 10,000 training rows;
#   concrete a 13-50-1 regression network fitted with `elbo fit --hidden 50` on UCI concrete
#            (1030 rows), at the 1030 rows and at 103,000 (each row 100 times, jittered);
#   moons    the tutorial's 2-5-5-1 network fitted on 300 rows of make_moons, and `elbo plot`
#            (100 draws, figures skipped: gnuplot's own memory is not elbo's) on 1,200,000
#            rows (docs/CLI.md, "threads and memory").
# Peak memory is /usr/bin/time's maximum resident set of the whole process (the model,
# the program and the libraries included). The fits' own times are printed for reference.
#
# Usage: ELBO_BUILD_DIR=build [ELBO_BIN=path/to/elbo] bash bench/post_fit/run_post_fit.sh [OUT_DIR]
# Needs the size peers' data (bash bench/peers/run_size_peers.sh writes it, or
# bench/peers/make_size_data.py) and the peers' virtual environment (numpy). Not part of
# `make test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${ELBO_BUILD_DIR:-$ROOT/build}"
ELBO="${ELBO_BIN:-$BUILD/bin/elbo}"  # ELBO_BIN: another build to compare
PY="$ROOT/bench/peers/.venv/bin/python"
OUT="${1:-$BUILD/post-fit}"
SIZE_DATA="$BUILD/size-peers/data"
UCI="$ROOT/../shared/data/uci/concrete/data.txt"
mkdir -p "$OUT"
[[ -x "$ELBO" ]] || { echo "no $ELBO: build first (cmake --build $BUILD)" >&2; exit 2; }
[[ -x "$PY" ]] || { echo "no $PY: run bash bench/peers/setup_env.sh or make bench first" >&2; exit 2; }
if [[ ! -f "$SIZE_DATA/synth784_train.npy" ]]; then
  "$PY" "$ROOT/bench/peers/make_size_data.py" "$SIZE_DATA"
fi
[[ -f "$UCI" ]] || { echo "no $UCI" >&2; exit 2; }

"$PY" - "$UCI" "$OUT" <<'EOF'
import sys
import numpy as np
d = np.loadtxt(sys.argv[1])
np.save(sys.argv[2] + "/concrete.npy", d)
from sklearn.datasets import make_moons
for name, rows in (("moons_small", 300), ("moons_big", 1_200_000)):
    x, y = make_moons(rows, noise=0.2, random_state=0)
    np.save(sys.argv[2] + f"/{name}.npy", np.column_stack([x, y]))
big = np.repeat(d, 100, axis=0)
big[:, :-1] += np.random.default_rng(0).normal(0, 0.01, big[:, :-1].shape)
np.save(sys.argv[2] + "/concrete_big.npy", big)
EOF

RESULTS="$OUT/results.md"
{
  echo "| command | data rows | seconds | peak memory (MB) |"
  echo "| --- | ---: | ---: | ---: |"
} > "$RESULTS"
# timed LABEL ROWS CMD...: runs CMD under /usr/bin/time, appends a row to the table.
timed() {
  local label="$1" rows="$2"
  shift 2
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" > "$OUT/last.log" 2>&1
  read -r secs kb < "$OUT/time.txt"
  echo "| $label | $rows | $secs | $((kb / 1024)) |" | tee -a "$RESULTS"
}

timed "fit 784-400, 300 steps" 10000 "$ELBO" fit --recipe single --train "$SIZE_DATA/synth784_train.npy" --hidden 400,400 \
  --batch-size 128 --iters 300 --out "$OUT/m400.elbo"
timed "predict 784-400" 10000 "$ELBO" predict --model "$OUT/m400.elbo" --data "$SIZE_DATA/synth784_train.npy" \
  --out "$OUT/p400.csv"
timed "evaluate 784-400" 10000 "$ELBO" evaluate --model "$OUT/m400.elbo" --data "$SIZE_DATA/synth784_train.npy"
timed "check 784-400, 200 draws" 10000 "$ELBO" check --model "$OUT/m400.elbo" --data "$SIZE_DATA/synth784_train.npy" \
  --draws 200
timed "fit 784-400, 10000 steps (training score and k-hat after it)" 10000 "$ELBO" fit --recipe single \
  --train "$SIZE_DATA/synth784_train.npy" --hidden 400,400 --batch-size 128 --iters 10000 --out "$OUT/m400k.elbo"
grep -E "training|k-hat" "$OUT/last.log" | sed 's/^/    /'
timed "fit concrete (one fit, until converged)" 1030 "$ELBO" fit --recipe single --train "$OUT/concrete.npy" --hidden 50 \
  --out "$OUT/concrete.elbo"
timed "evaluate concrete" 1030 "$ELBO" evaluate --model "$OUT/concrete.elbo" --data "$OUT/concrete.npy"
timed "predict concrete x100" 103000 "$ELBO" predict --model "$OUT/concrete.elbo" --data "$OUT/concrete_big.npy" \
  --out "$OUT/pbig.csv"
timed "evaluate concrete x100" 103000 "$ELBO" evaluate --model "$OUT/concrete.elbo" --data "$OUT/concrete_big.npy"
timed "fit moons (tutorial network)" 300 "$ELBO" fit --recipe single --train "$OUT/moons_small.npy" --iters 2000 \
  --out "$OUT/moons.elbo"
mkdir -p "$OUT/figs"
timed "plot moons, 100 draws (figures skipped)" 1200000 env ELBO_GNUPLOT=/nonexistent "$ELBO" plot \
  --model "$OUT/moons.elbo" --data "$OUT/moons_big.npy" --out "$OUT/figs" --draws 100 --grid 20
echo "wrote $RESULTS"
