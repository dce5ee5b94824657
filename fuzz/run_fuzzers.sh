#!/usr/bin/env bash
# Builds elbo's libFuzzer targets with clang in build-fuzz (the library instrumented with
# -fsanitize=fuzzer-no-link,address,undefined) and runs each for SECONDS (default 20) on a
# copy of its seed corpus in fuzz/corpus/<name>/, so the committed corpus never changes.
# Exits 1 if any fuzzer finds a crash, a sanitizer report, a leak, a timeout (10 s for
# one input) or an input that needs more than 2 GiB; the input is kept under
# build-fuzz/fuzz-artifacts/. Prints each fuzzer's execution count.
#
# Usage: fuzz/run_fuzzers.sh [SECONDS]      (environment: BUILD=build-fuzz, JOBS=nproc)
# To reproduce a failure: build-fuzz/fuzz/<name> <artifact>. To keep what a long session
# finds, run the binary by hand on a work copy and merge into the corpus with -merge=1.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
case "$seconds" in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
build=${BUILD:-build-fuzz}
jobs=${JOBS:-$(nproc)}
fuzzers=(csv_fuzzer npy_fuzzer model_file_fuzzer)

mkdir -p "$build"
# A build directory already configured with -DELBO_FUZZ=ON (CI's sanitizer build, which
# runs the test suite too) is used as it is: only the fuzzers are built.
if grep -q '^ELBO_FUZZ:BOOL=ON$' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "== fuzz: building the fuzzers in $build (configured with -DELBO_FUZZ=ON)"
  cmake --build "$build" -j "$jobs" --target "${fuzzers[@]}"
else
  echo "== fuzz: configuring and building $build (clang++, -DELBO_FUZZ=ON)"
  # -Wno-unknown-warning-option: the library's GCC-only -Wno-maybe-uninitialized.
  # -DELBO_ISA_DISPATCH=OFF: the fuzzers parse files; the AVX2 copy of the engine's kernels
  # (uninstrumented anyway) would only lengthen the build.
  if ! cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
      -DCMAKE_CXX_FLAGS="-Wno-unknown-warning-option" \
      -DELBO_FUZZ=ON -DELBO_BUILD_TESTS=OFF -DELBO_BUILD_BENCH=OFF -DELBO_BUILD_APPS=OFF \
      -DELBO_ISA_DISPATCH=OFF \
      > "$build/configure.log" 2>&1; then
    cat "$build/configure.log"
    exit 1
fi
cmake --build "$build" -j "$jobs" --target "${fuzzers[@]}"
fi

# LeakSanitizer stops the process ("does not work under ptrace") where ptrace is
# restricted, as in some containers. Probe once; without it, fuzz with leaks unchecked.
leak_flag=()
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
if ! probe=$(ASAN_OPTIONS=detect_leaks=1 "$build/fuzz/csv_fuzzer" -runs=1 "$probe_dir" 2>&1) ||
    grep -q "LeakSanitizer has encountered a fatal error" <<<"$probe"; then
  echo "note: LeakSanitizer does not work here (ptrace restricted?); fuzzing with -detect_leaks=0"
  leak_flag=(-detect_leaks=0)
fi

failed=0
for name in "${fuzzers[@]}"; do
  corpus=${name%_fuzzer}
  work="$build/fuzz-work/$corpus"
  artifacts="$build/fuzz-artifacts/$corpus/"
  rm -rf "$work"
  mkdir -p "$work" "$artifacts"
  cp fuzz/corpus/"$corpus"/* "$work"/
  log="$build/fuzz-$corpus.log"
  echo "== fuzz: $name for $seconds s (log: $log)"
  status=0
  "$build/fuzz/$name" "$work" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts" "${leak_flag[@]}" \
    > "$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  coverage=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' || true)
  if [ "$status" -ne 0 ]; then
    echo "FAILED: $name exited with $status after ${execs:-?} executions; the end of its log:"
    tail -40 "$log"
    echo "inputs kept in $artifacts: $(ls "$artifacts" | tr '\n' ' ')"
    failed=1
  else
    echo "$name: ${execs:-?} executions in $seconds s, no failures ($coverage)"
  fi
done
exit "$failed"
