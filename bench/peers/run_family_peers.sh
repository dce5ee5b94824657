#!/usr/bin/env bash
# elbo's approximating families against PyMC and NumPyro on the tutorial's network, full
# batch (docs/PERFORMANCE.md, "Peers: the approximating families (issue #16)"):
#
#   elbo fullrank_advi              vs  PyMC pm.fit(method="fullrank_advi")
#   elbo svgd --particles 100       vs  PyMC pm.fit(method="svgd", inf_kwargs={"n_particles": 100})
#   elbo lowrank_advi --rank 6      vs  NumPyro AutoLowRankMultivariateNormal(rank=6)
#   elbo nfvi --flow iaf*2          vs  NumPyro AutoIAFNormal(num_flows=2, hidden_dims=[40, 40], tanh)
#
#   bash bench/peers/run_family_peers.sh           # 5000 steps per fit
#   bash bench/peers/run_family_peers.sh --quick   # 300 steps, a smoke test
#
# Every fit uses Adam at 0.01 (PyMC's own default would be adagrad_window at 1e-3) and one
# draw per step (SVGD: all particles every step); float32 networks; one thread each.
#
# Environment: FAMILY_STEPS (steps of every fit), FAMILY_RANK (6: round(sqrt(40)), both
# libraries' default), FAMILY_PARTICLES (100), FAMILY_FLOWS (2), FAMILY_LR (0.01),
# FAMILY_OUT (default $ELBO_BUILD_DIR/family-peers: data, each run's JSON line and log,
# env.txt, summary.md); ELBO_BUILD_DIR (default build-peers), PEERS_CPU and
# PEERS_BUILD_JOBS as for run_peers.sh (bench/peers/setup_env.sh).
#
# What it does: makes bench/peers/.venv and pip-installs requirements.txt if needed, builds
# bench/family_fit_timing, writes the data once (make_data.py), then for each pairing runs
# elbo, the peer, elbo again, and prints the table (summarize_families.py). A fit that
# fails is reported and left out of the table; the others still run. Not part of
# `make test`. PyTorch is not needed here.
set -euo pipefail

# shellcheck source=bench/peers/setup_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"  # ROOT, PEERS, VENV, BUILD, say, peers_*
PEERS_TAG=family-peers
OUT="${FAMILY_OUT:-$BUILD/family-peers}"
STEPS="${FAMILY_STEPS:-5000}"
if [[ "${1:-}" == "--quick" ]]; then
  STEPS="${FAMILY_STEPS:-300}"
elif [[ $# -gt 0 ]]; then
  echo "usage: bash bench/peers/run_family_peers.sh [--quick]" >&2
  exit 2
fi
RANK="${FAMILY_RANK:-6}"
PARTICLES="${FAMILY_PARTICLES:-100}"
FLOWS="${FAMILY_FLOWS:-2}"
LR="${FAMILY_LR:-0.01}"

peers_setup_venv
peers_build family_fit_timing
ELBO="$BUILD/bench/family_fit_timing"
peers_one_thread

rm -rf "$OUT"
mkdir -p "$OUT"
"$VENV/bin/python" "$PEERS/make_data.py" "$OUT/data" >&2
DATA=(--train "$OUT/data/train.csv" --test "$OUT/data/test.csv")

FLOW="iaf"
[[ "$FLOWS" -gt 1 ]] && FLOW="iaf*$FLOWS"
{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -r)"
  echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- $(peers_python_versions)"
  echo "- elbo: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (plus uncommitted changes, if any), $(grep -m1 CMAKE_CXX_COMPILER: "$BUILD/CMakeCache.txt" | sed 's/.*=//') Release"
  echo "- $STEPS steps per fit, full batch (500 rows); adam($LR) on every side; float32 networks; 1 thread${PEERS_CPU:+; pinned to CPU $PEERS_CPU}"
} > "$OUT/env.txt"

FAILED=()
run() {  # name, command...
  local name=$1
  shift
  say "running $name"
  if ! "${PIN[@]}" "$@" "${DATA[@]}" > "$OUT/$name.json" 2> "$OUT/$name.log"; then
    say "$name failed; see $OUT/$name.log"
    tail -n 20 "$OUT/$name.log" >&2
    rm -f "$OUT/$name.json"
    FAILED+=("$name")
  fi
}

cd "$PEERS"
PY="$VENV/bin/python"
E=("$ELBO" --steps "$STEPS" --optimizer adam --lr "$LR")

run elbo-fullrank-1 "${E[@]}" --method fullrank_advi
run peer-fullrank "$PY" peer_families_pymc.py --method fullrank_advi --steps "$STEPS" --optimizer adam --lr "$LR"
run elbo-fullrank-2 "${E[@]}" --method fullrank_advi

run elbo-svgd-1 "${E[@]}" --method svgd --particles "$PARTICLES"
run peer-svgd "$PY" peer_families_pymc.py --method svgd --particles "$PARTICLES" --steps "$STEPS" --optimizer adam --lr "$LR"
run elbo-svgd-2 "${E[@]}" --method svgd --particles "$PARTICLES"

run elbo-lowrank-1 "${E[@]}" --method lowrank_advi --rank "$RANK"
run peer-lowrank "$PY" peer_families_numpyro.py --guide lowrank --rank "$RANK" --steps "$STEPS" --lr "$LR"
run elbo-lowrank-2 "${E[@]}" --method lowrank_advi --rank "$RANK"

run elbo-iaf-1 "${E[@]}" --method nfvi --flow "$FLOW"
run peer-iaf "$PY" peer_families_numpyro.py --guide iaf --flows "$FLOWS" --steps "$STEPS" --lr "$LR"
run elbo-iaf-2 "${E[@]}" --method nfvi --flow "$FLOW"

echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/env.txt"

"$PY" "$PEERS/summarize_families.py" "$OUT" | tee "$OUT/summary.md"
say "results in $OUT"
if [[ ${#FAILED[@]} -gt 0 ]]; then
  say "failed: ${FAILED[*]}"
  exit 1
fi
