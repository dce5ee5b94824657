#!/usr/bin/env bash
# The scaling table of docs/PERFORMANCE.md ("Scaling"): runs bench/scaling_bench (ADVI step,
# float32, one thread, obj_n_mc 1, full batch, rows N in {500, 5k, 50k, 500k} x hidden
# width in {5, 32, 128}), keeps the fastest repetition of each case (CPU time per step),
# fits the log-log slope of time per step against N for each width, and writes
#   docs/scaling.csv            the numbers, one line per case, with its width's fitted slope
#   docs/scaling.png, .svg      time per step against N, log-log, one line per width, with
#                               a dashed line of slope 1 through each width's first point
#
#   bash bench/plot_scaling.sh                 # 3 repetitions, about 2 minutes
#   SCALING_REPETITIONS=1 bash bench/plot_scaling.sh
#   bash bench/plot_scaling.sh --from build-bench/scaling_raw.csv   # redraw from an earlier run
#
# Environment: ELBO_BUILD_DIR (default build-bench) holds bench/scaling_bench; it is built
# there (Release, -march=native) if missing. SCALING_OUT (default docs) receives the files.
# Needs gnuplot (Debian's gnuplot-nox, which `make deps` installs) and awk.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="${ELBO_BUILD_DIR:-$ROOT/build-bench}"
OUT="${SCALING_OUT:-$ROOT/docs}"
REPS="${SCALING_REPETITIONS:-3}"
say() { printf '[scaling] %s\n' "$*" >&2; }

command -v gnuplot >/dev/null || { say "gnuplot is missing (apt-get install gnuplot-nox)"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

RAW="$TMP/raw.csv"
if [[ "${1:-}" == "--from" && -n "${2:-}" ]]; then
  cp "$2" "$RAW"
elif [[ $# -gt 0 ]]; then
  echo "usage: bash bench/plot_scaling.sh [--from raw.csv]" >&2
  exit 2
else
  BIN="$BUILD/bench/scaling_bench"
  if [[ ! -x "$BIN" ]]; then
    say "building scaling_bench in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DELBO_BUILD_APPS=OFF -DELBO_BUILD_TESTS=OFF >&2
    cmake --build "$BUILD" --target scaling_bench -j2 >&2
  fi
  say "$(uptime)"
  say "running $BIN with $REPS repetition(s)"
  "$BIN" --benchmark_repetitions="$REPS" --benchmark_out="$RAW" --benchmark_out_format=csv >&2
  say "$(uptime)"
  cp "$RAW" "$BUILD/scaling_raw.csv"  # for --from: redraw without running again
  say "raw results kept in $BUILD/scaling_raw.csv"
fi
mkdir -p "$OUT"

# Fastest repetition per (width, rows); the aggregate lines (_mean, _median, ...) are skipped.
awk -F, '
  /^name,/ { for (i = 1; i <= NF; ++i) { h = $i; gsub(/"/, "", h); col[h] = i }; header = 1; next }
  !header { next }
  { name = $1; gsub(/"/, "", name) }
  name ~ /_(mean|median|stddev|cv)$/ || $col["error_occurred"] == "true" { next }
  {
    key = $col["width"] " " $col["rows"]
    t = $col["time_per_step"] + 0
    if (!(key in best) || t < best[key]) { best[key] = t; weights[key] = $col["weights"] }
    reps[key]++
  }
  END {
    for (key in best) {
      split(key, p, " ")
      printf "%d,%d,%d,%.6g,%.6g,%d\n", p[1], p[2], weights[key], best[key], best[key] / p[2] * 1e9, reps[key]
    }
  }' "$RAW" | sort -t, -k1,1n -k2,2n > "$TMP/table.csv"
[[ -s "$TMP/table.csv" ]] || { say "no results in the benchmark output"; exit 1; }

# Least-squares slope of log10(time per step) against log10(N), per width.
awk -F, '
  { w = $1; x = log($2) / log(10); y = log($4) / log(10)
    n[w]++; sx[w] += x; sy[w] += y; sxx[w] += x * x; sxy[w] += x * y }
  END { for (w in n) printf "%d,%.3f\n", w, (n[w] * sxy[w] - sx[w] * sy[w]) / (n[w] * sxx[w] - sx[w] * sx[w]) }
' "$TMP/table.csv" | sort -t, -k1,1n > "$TMP/slopes.csv"

{
  echo "width,rows,weights,seconds_per_step,ns_per_row_step,repetitions,loglog_slope_of_width"
  awk -F, 'NR == FNR { slope[$1] = $2; next } { print $0 "," slope[$1] }' "$TMP/slopes.csv" "$TMP/table.csv"
} > "$TMP/scaling.csv"

# One data file per width for gnuplot: rows, seconds per step.
plot=""
colors=("#1b9e77" "#d95f02" "#7570b3" "#e7298a" "#66a61e")
k=0
for w in $(cut -d, -f1 "$TMP/table.csv" | sort -un); do
  color=${colors[$((k % ${#colors[@]}))]}
  k=$((k + 1))
  awk -F, -v w="$w" '$1 == w { print $2, $4 }' "$TMP/table.csv" > "$TMP/w$w.dat"
  slope=$(awk -F, -v w="$w" '$1 == w { print $2 }' "$TMP/slopes.csv")
  first=$(head -1 "$TMP/w$w.dat")
  n0=${first% *}
  t0=${first#* }
  plot+="${plot:+, }'$TMP/w$w.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '$color' title 'width $w (slope $slope)'"
  plot+=", $t0*x/$n0 with lines dt 2 lc rgb '$color' notitle"
done

for fmt in png svg; do
  if [[ $fmt == svg ]]; then
    term="set terminal svg size 720,480 dynamic noenhanced font 'Sans,11' background rgb 'white'"
  else
    term="if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size 720,480 noenhanced font 'Sans,11' } else { set terminal png truecolor size 720,480 noenhanced }"
  fi
  gnuplot <<EOF
$term
set output '$TMP/scaling.$fmt'
set logscale xy
set format x '%.0s%c'
set format y '%.0s%cs'
set xlabel 'training rows N'
set ylabel 'CPU time per ADVI step'
set title 'ADVI step cost, float32, 1 thread, obj_n_mc = 1 (dashed: slope 1)'
set key top left
set grid
set xrange [300:800000]
plot $plot
unset output
EOF
done

mv "$TMP/scaling.csv" "$OUT/scaling.csv"
mv "$TMP/scaling.png" "$OUT/scaling.png"
mv "$TMP/scaling.svg" "$OUT/scaling.svg"
column -t -s, "$OUT/scaling.csv" 2>/dev/null || cat "$OUT/scaling.csv"
say "wrote $OUT/scaling.csv, $OUT/scaling.png and $OUT/scaling.svg"
