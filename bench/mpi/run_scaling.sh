#!/usr/bin/env bash
# Data-parallel `elbo fit` on 1, 2 and 4 processes (docs/SCALING.md): steps per second and
# efficiency on a generated 10^6 x 20 data set; the compute per row of the three networks
# of the cost model; the allreduce's cost by size. Then summarize_scaling.py fits the cost
# model and prints the tables.
#
#   bash bench/mpi/run_scaling.sh
#
# Environment: BUILD (default build) holds bin/elbo and bench/mpi_allreduce_timing (built
# here if missing); OUT (default $BUILD/scaling) receives the data, logs and summary.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OUT=${OUT:-$BUILD/scaling}
STEPS=${STEPS:-20}
cmake --build "$BUILD" --target elbo_cli mpi_allreduce_timing >&2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI and this VM run as root
MPIRUN=(mpirun --oversubscribe --bind-to none)
mkdir -p "$OUT"
data() {  # rows features -> path (written once)
  local path="$OUT/rows-$1x$2.npy"
  [[ -f "$path" ]] || python3 "$ROOT/bench/mpi/make_rows.py" "$path" --rows "$1" --features "$2"
  echo "$path"
}
{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- elbo $(git -C "$ROOT" rev-parse --short HEAD), $(mpirun --version | head -1)"
  echo "- $STEPS full-batch steps per fit, float32, blocks of 4096 rows, 1 thread per process, mpirun --oversubscribe"
} > "$OUT/env.txt"
fit() {  # name processes data hidden -> "name processes rows steps seconds"
  local log="$OUT/fit-$1-$2.log"
  "${MPIRUN[@]}" -np "$2" "$BUILD/bin/elbo" fit --train "$3" --out "$OUT/m.elbo" --likelihood normal \
    --hidden "$4" --iters "$STEPS" --block-rows 4096 --threads 1 > "$log" 2>&1
  local rows
  rows=$(sed -n 's/^data: [^,]*, \([0-9]*\) rows.*/\1/p' "$log")
  echo "$1 $2 $rows $STEPS $(sed -n 's/.*steps in \([0-9.]*\) s (.*/\1/p' "$log")"
}
BIG=$(data 1000000 20)
: > "$OUT/fits.txt"
for R in 1 2 4; do fit "20-50-1" "$R" "$BIG" 50 | tee -a "$OUT/fits.txt" >&2; done
for R in 1 2 4; do fit "20-100-100-1" "$R" "$BIG" 100,100 | tee -a "$OUT/fits.txt" >&2; done
# The cost model's networks, one process, for their compute per row (784 -> 400 -> 400 -> 1
# stands in for the 10-class output: the last layer is 0.4 % of its work).
fit "2-5-5-1" 1 "$(data 200000 2)" 5,5 | tee -a "$OUT/fits.txt" >&2
fit "784-400-400-1" 1 "$(data 5000 784)" 400,400 | tee -a "$OUT/fits.txt" >&2
: > "$OUT/allreduce.txt"
for R in 2 4; do "${MPIRUN[@]}" -np "$R" "$BUILD/bench/mpi_allreduce_timing" >> "$OUT/allreduce.txt"; done
python3 "$ROOT/bench/mpi/summarize_scaling.py" "$OUT" | tee "$OUT/summary.md"
