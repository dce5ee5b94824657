#!/usr/bin/env bash
# elbo fit against a hand-written mean-field ADVI in JAX at realistic network sizes
# (docs/PERFORMANCE.md, "Peers: realistic sizes against JAX (issue #17)"):
#
#   row            network           data (make_size_data.py)       rows per step
#   digits-full    64-32-32-10       digits, 1257 training rows      all (full batch)
#   digits-128     64-32-32-10       digits                          128
#   784-100        784-100-100-10    synth784, 10,000 training rows  128
#   784-400        784-400-400-10    synth784                        128
#   tutorial       2-5-5-1, no bias  moons (make_data.py), 500 rows  all (full batch)
#
#   bash bench/peers/run_size_peers.sh           # the step counts below, 3 rounds (12 minutes on 2 cores)
#   bash bench/peers/run_size_peers.sh --quick   # a tenth of the steps and 2000 synthetic
#                                                # training rows, a smoke test
#
# Both sides as issue #17 states them: float32, mean-field ADVI, one draw per step, Adam at
# 0.01, minibatches drawn with replacement, biases, tanh, a categorical likelihood (the
# tutorial row: no biases, Bernoulli), N(0, 1) priors, sigma started at 0.05 (elbo fit's
# default). elbo: `elbo fit` as a whole process, its own reported steps/s
# (time_elbo_fit.py). JAX: the whole loop in jax.jit + lax.scan, compiled ahead, one timed
# call (peer_jax_mlp.py). Per row, SIZE_ROUNDS rounds (default 3) of: elbo (1 thread), JAX
# (1 thread: run_peers.sh's XLA_FLAGS), both pinned to one CPU with taskset; elbo --threads
# 2; JAX with all threads (no XLA_FLAGS); then once JAX with those XLA_FLAGS but not
# pinned. The rounds interleave the runs so that a burst of load on this shared host hits
# both sides of a ratio alike: summarize_sizes.py reports each figure as the median over
# the rounds and each ratio as the median of the rounds' own ratios (a 784-100 fit's
# one-thread speed moved by 25 % between two runs a minute apart, 2026-12-07).
#
# Environment: SIZE_STEPS_DIGITS_FULL, SIZE_STEPS_DIGITS_128, SIZE_STEPS_784_100,
# SIZE_STEPS_784_400, SIZE_STEPS_TUTORIAL (steps per fit of each row); SIZE_ROUNDS (rounds
# per row, default 3; --quick: 1); SIZE_ROWS (the rows
# to run, space-separated names, default all five); SIZE_OUT (default
# $ELBO_BUILD_DIR/size-peers: data, every run's JSON line and log, env.txt, rows.txt,
# summary.md); ELBO_BUILD_DIR (default build-peers), PEERS_CPU, PEERS_BUILD_JOBS as for
# run_peers.sh (bench/peers/setup_env.sh); PEERS_CPU (default 0) is the CPU the one-thread
# runs are pinned to.
#
# What it does: makes bench/peers/.venv and pip-installs requirements.txt if needed,
# configures $ELBO_BUILD_DIR with the command-line tool (-DELBO_BUILD_APPS=ON, Release, the
# default portable build with its run-time AVX2 kernels) and builds the target elbo_cli
# (nice'd), writes the data once, runs the fits and prints the tables (summarize_sizes.py).
# A fit that fails is reported and shown as "failed"; the others still run. Not part of
# `make test`.
set -euo pipefail

# shellcheck source=bench/peers/setup_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"  # ROOT, PEERS, VENV, BUILD, say, peers_*
PEERS_TAG=size-peers
OUT="${SIZE_OUT:-$BUILD/size-peers}"
DIV=1
SYNTH=()
if [[ "${1:-}" == "--quick" ]]; then
  DIV=10
  SYNTH=(--synth-train 2000 --synth-test 500)  # elbo fit's report over all training rows is the slow part
elif [[ $# -gt 0 ]]; then
  echo "usage: bash bench/peers/run_size_peers.sh [--quick]" >&2
  exit 2
fi
ROUNDS="${SIZE_ROUNDS:-$([[ $DIV == 1 ]] && echo 3 || echo 1)}"
if ! [[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]]; then
  echo "run_size_peers.sh: SIZE_ROUNDS is '$ROUNDS', but must be a whole number >= 1" >&2
  exit 2
fi
STEPS_DIGITS_FULL="${SIZE_STEPS_DIGITS_FULL:-$((5000 / DIV))}"
STEPS_DIGITS_128="${SIZE_STEPS_DIGITS_128:-$((20000 / DIV))}"
STEPS_784_100="${SIZE_STEPS_784_100:-$((1500 / DIV))}"
STEPS_784_400="${SIZE_STEPS_784_400:-$((300 / DIV))}"
STEPS_TUTORIAL="${SIZE_STEPS_TUTORIAL:-$((20000 / DIV))}"
ROWS_TO_RUN="${SIZE_ROWS:-digits-full digits-128 784-100 784-400 tutorial}"

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
"$PY" "$PEERS/make_size_data.py" "$OUT/data" "${SYNTH[@]}" >&2
"$PY" "$PEERS/make_data.py" "$OUT/data/moons" >&2
D="$OUT/data"

{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -r)"
  echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- python $("$PY" -c 'import platform; print(platform.python_version())'), $("$PY" -c 'import jax, jaxlib, numpy; print(f"jax {jax.__version__}, jaxlib {jaxlib.__version__}, numpy {numpy.__version__}")') (pip)"
  echo "- elbo: $("$ELBO" --version), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (plus uncommitted changes, if any), $(grep -m1 CMAKE_CXX_COMPILER: "$BUILD/CMakeCache.txt" | sed 's/.*=//') Release, portable build (ELBO_NATIVE $(grep -m1 '^ELBO_NATIVE:' "$BUILD/CMakeCache.txt" | sed 's/.*=//'))"
  echo "- float32, adam(0.01), one draw per step, sigma started at 0.05 on both sides; one-thread runs pinned to CPU ${PEERS_CPU:-0} (taskset); $ROUNDS round(s) per row"
} > "$OUT/env.txt"

FAILED=()
run() {  # file name, command...
  local name=$1
  shift
  say "running $name"
  if ! "$@" > "$OUT/$name.json" 2> "$OUT/$name.log"; then
    say "$name failed; see $OUT/$name.log"
    tail -n 20 "$OUT/$name.log" >&2
    rm -f "$OUT/$name.json"
    FAILED+=("$name")
  fi
}

# One thread means one core: the one-thread runs are pinned to CPU $ONE_CPU with taskset,
# because XLA_FLAGS alone do not keep JAX on one core (it kept a second thread busy: CPU
# time up to twice the wall time). The "jax-flags" run is JAX with those flags, unpinned,
# as run_peers.sh runs NumPyro. The 2-thread and all-threads runs are not pinned.
ONE_CPU="${PEERS_CPU:-0}"
ONE=(taskset -c "$ONE_CPU")
ALL=(env -u XLA_FLAGS -u OMP_NUM_THREADS -u MKL_NUM_THREADS -u OPENBLAS_NUM_THREADS)

# row name, table label, steps, train file, test file, network flags (shared by both sides)...
row() {
  local name=$1 label=$2 steps=$3 train=$4 test=$5
  shift 5
  echo "$name|$label" >> "$OUT/rows.txt"
  local e=("$PY" "$PEERS/time_elbo_fit.py" --elbo "$ELBO" --train "$train" --test "$test" --steps "$steps" "$@")
  local j=("$PY" "$PEERS/peer_jax_mlp.py" --train "$train" --test "$test" --steps "$steps" "$@")
  local r
  for ((r = 1; r <= ROUNDS; r++)); do
    run "$name--elbo-1.r$r" "${ONE[@]}" "${e[@]}" --threads 1 --out "$OUT/models/$name-1.elbo"
    run "$name--jax-1.r$r" "${ONE[@]}" "${j[@]}" --threads 1
    run "$name--elbo-2.r$r" "${e[@]}" --threads 2 --out "$OUT/models/$name-2.elbo"
    run "$name--jax-all.r$r" "${ALL[@]}" "${j[@]}" --threads all
  done
  run "$name--jax-flags" "${j[@]}" --threads 1
}

cd "$PEERS"
for r in $ROWS_TO_RUN; do
  case "$r" in
    digits-full) row digits-full "64-32-32-10 (digits), 1257 rows (full batch)" "$STEPS_DIGITS_FULL" \
                   "$D/digits_train.csv" "$D/digits_test.csv" --hidden 32,32 ;;
    digits-128) row digits-128 "64-32-32-10 (digits), 128 rows per step" "$STEPS_DIGITS_128" \
                  "$D/digits_train.csv" "$D/digits_test.csv" --hidden 32,32 --batch-size 128 ;;
    784-100) row 784-100 "784-100-100-10 (synthetic), 128 rows per step" "$STEPS_784_100" \
               "$D/synth784_train.npy" "$D/synth784_test.npy" --hidden 100,100 --batch-size 128 ;;
    784-400) row 784-400 "784-400-400-10 (synthetic), 128 rows per step" "$STEPS_784_400" \
               "$D/synth784_train.npy" "$D/synth784_test.npy" --hidden 400,400 --batch-size 128 ;;
    tutorial) row tutorial "2-5-5-1 (tutorial, no biases, Bernoulli), 500 rows (full batch)" "$STEPS_TUTORIAL" \
                "$D/moons/train.csv" "$D/moons/test.csv" --hidden 5,5 --no-bias --likelihood bernoulli ;;
    *) say "unknown row '$r' in SIZE_ROWS (digits-full digits-128 784-100 784-400 tutorial)"; exit 2 ;;
  esac
done

echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/env.txt"
"$PY" "$PEERS/summarize_sizes.py" "$OUT" | tee "$OUT/summary.md"
say "results in $OUT"
if [[ ${#FAILED[@]} -gt 0 ]]; then
  say "failed: ${FAILED[*]}"
  exit 1
fi
