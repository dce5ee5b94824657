// What two threads can gain on this machine at best (issue #17's two-thread target): the
// same register-only arithmetic (eight independent chains of float multiply-adds on 8-lane
// vectors, no loads or stores, nothing shared) run once on the calling thread
// (`one_thread`) and once on each of two threads started together (`two_threads`, twice
// the work). With two cores of their own, two_threads does twice the items per second of
// one_thread; where the threads share a core (SMT siblings) or the host takes time from
// them, it falls short, and no program's two-thread speed-up can exceed that ratio. The
// threads are started in every iteration (tens of microseconds against a ~20 ms loop).
//
//   build/bench/core_ceiling_bench --benchmark_repetitions=5 --benchmark_min_time=0.5
//
// The ratio is items_per_second of two_threads over one_thread.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <thread>

namespace {

constexpr int64_t kRounds = int64_t{1} << 22;
constexpr int64_t kItems = kRounds * 8 * 8;  // multiply-adds per run of the loop

using F8 = float __attribute__((vector_size(32)));

float register_arithmetic() {
  F8 a[8];
  for (int j = 0; j < 8; ++j) a[j] = F8{} + (1.0f + static_cast<float>(j));
  for (int64_t i = 0; i < kRounds; ++i)
    for (int j = 0; j < 8; ++j) a[j] = a[j] * 0.999f + 0.001f;
  float s = 0;
  for (int j = 0; j < 8; ++j) s += a[j][0];
  return s;
}

void one_thread(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(register_arithmetic());
  st.SetItemsProcessed(st.iterations() * kItems);
}

void two_threads(benchmark::State& st) {
  for (auto _ : st) {
    float r0 = 0, r1 = 0;
    std::thread t0([&r0] { r0 = register_arithmetic(); });
    std::thread t1([&r1] { r1 = register_arithmetic(); });
    t0.join();
    t1.join();
    benchmark::DoNotOptimize(r0 + r1);
  }
  st.SetItemsProcessed(st.iterations() * 2 * kItems);
}

}  // namespace

BENCHMARK(one_thread)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(two_threads)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
