# Sourced (not run) by bench/peers/run_peers.sh and bench/peers/run_family_peers.sh: the
# paths, the virtual environment, the build of elbo's timing programs and the one-thread
# environment that both comparisons share.
#
# Sets ROOT, PEERS, VENV and BUILD (ELBO_BUILD_DIR, default build-peers) and defines
#   say MESSAGE...            progress on stderr, prefixed with [$PEERS_TAG]
#   peers_install_torch       Debian's python3-torch if /usr/bin/python3 lacks torch (apt-get)
#   peers_setup_venv          bench/peers/.venv (--system-site-packages) + requirements.txt
#   peers_build TARGET...     configures $BUILD (Release, Ninja, no apps or tests) once and
#                             builds the targets with -j${PEERS_BUILD_JOBS:-2}
#   peers_one_thread          exports the one-thread settings of every library and sets the
#                             array PIN (taskset -c $PEERS_CPU when PEERS_CPU is set)
#   peers_python_versions     "python X, jax ..., numpyro ..., pymc ..." from the venv

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEERS="$ROOT/bench/peers"
VENV="$PEERS/.venv"
BUILD="${ELBO_BUILD_DIR:-$ROOT/build-peers}"

say() { printf '[%s] %s\n' "${PEERS_TAG:-peers}" "$*" >&2; }

# PyTorch from Debian (PyPI's torch would pull the CUDA wheels).
peers_install_torch() {
  if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    say "installing Debian's python3-torch"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get install -y python3-torch >&2
  fi
}

# The virtual environment: made from Debian's interpreter with its site-packages (for
# torch), the pinned peers installed into it.
peers_setup_venv() {
  if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating $VENV (with Debian's site-packages, for torch)"
    /usr/bin/python3 -m venv --system-site-packages "$VENV"
  fi
  say "pip install -r bench/peers/requirements.txt"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$PEERS/requirements.txt" >&2
}

# elbo's timing programs (bench/CMakeLists.txt).
peers_build() {
  if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DELBO_BUILD_APPS=OFF \
      -DELBO_BUILD_TESTS=OFF >&2
  fi
  cmake --build "$BUILD" -j"${PEERS_BUILD_JOBS:-2}" --target "$@" >&2
}

# One thread for everyone.
peers_one_thread() {
  export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
  export XLA_FLAGS="--xla_force_host_platform_device_count=1 --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
  export PYTENSOR_FLAGS="floatX=float32"
  export JAX_PLATFORMS=cpu
  export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree
  PIN=()
  if [[ -n "${PEERS_CPU:-}" ]]; then PIN=(taskset -c "$PEERS_CPU"); fi
}

peers_python_versions() {
  echo "python $("$VENV/bin/python" -c 'import platform; print(platform.python_version())'), $("$VENV/bin/python" -c 'import jax, jaxlib, numpyro, pymc, pytensor, sklearn, numpy; print(f"jax {jax.__version__}, jaxlib {jaxlib.__version__}, numpyro {numpyro.__version__}, pymc {pymc.__version__}, pytensor {pytensor.__version__}, scikit-learn {sklearn.__version__}, numpy {numpy.__version__}")')"
}

# peers_run NAME COMMAND...: runs COMMAND "${ARGS[@]}" (pinned by PIN) with its JSON line
# into $OUT/NAME.json and its messages into $OUT/NAME.log; on failure shows the log's end
# and returns 1.
peers_run() {
  local name=$1
  shift
  say "running $name"
  "${PIN[@]}" "$@" "${ARGS[@]}" > "$OUT/$name.json" 2> "$OUT/$name.log" || {
    say "$name failed; see $OUT/$name.log"
    tail -n 20 "$OUT/$name.log" >&2
    return 1
  }
}
