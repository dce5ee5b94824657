// The per-weight kernels of the fused mean-field step (src/vi/mean_field_adam_step.cpp), one
// thread, each on its own: what a step of issue #17's networks spends per weight outside
// the products (docs/PERFORMANCE.md, "The float32 state measured again").
//
//   normal/<n>     Philox::normal<float>: n standard normal draws (Philox4x32-10 and
//                  Box-Muller in single precision), in the fused step's pieces of 512
//   softplus/<n>   detail::softplus_blocks_f32: sigma = softplus(rho), 1 / sigma,
//                  sigmoid(rho) and the sum of log sigma for n weights (rho ~ N(-3, 1)),
//                  rho in double; softplus_float_rho/<n> in float, as the fused step's
//
// n = 4096 (in L1 and L2: the arithmetic alone) and 478,410 (784-400-400-10's weights).
// items_per_second: weights (draws) a second; ns a weight = 1e9 / it.
//
//   build/bench/per_weight_kernels_bench --benchmark_repetitions=3 --benchmark_min_time=0.3
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "elbo/graph/random.hpp"
#include "ratio_reporter.hpp"
#include "vi/softplus_kernel.hpp"

namespace elbo::bench {
namespace {

constexpr int64_t kSizes[] = {4096, 478410};
constexpr int64_t kPiece = 512;  // the fused step's piece (mean_field_adam_step.cpp)

void per_weight(benchmark::State& st, int64_t n) {
  st.SetItemsProcessed(st.iterations() * n);
  st.counters["weights"] = static_cast<double>(n);
}

void normal_draws(benchmark::State& st, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  const Philox rng(5);
  uint64_t t = 0;
  for (auto _ : st) {
    for (int64_t i = 0; i < n; i += kPiece) rng.normal(out.data() + i, std::min(kPiece, n - i), 1, t, i);
    benchmark::DoNotOptimize(out.data());
    ++t;
  }
  per_weight(st, n);
}

// rho in double (converted to float block by block) or in float (the fused step's state).
template <class T>
void softplus_terms(benchmark::State& st, int64_t n) {
  std::vector<double> rho64(static_cast<size_t>(n));
  Philox(7).normal(rho64.data(), n, 0, 0);
  std::vector<T> rho(rho64.begin(), rho64.end());
  for (T& r : rho) r -= 3;
  std::vector<float> sigma(static_cast<size_t>(n)), inv(static_cast<size_t>(n)), ds(static_cast<size_t>(n));
  const int64_t body = n - n % 64;  // the kernel takes whole blocks of 64
  for (auto _ : st) {
    double log_sum = 0;
    if (!detail::softplus_blocks_f32(rho.data(), body, {sigma.data(), inv.data(), ds.data()}, log_sum))
      st.SkipWithError("rho left the float kernel's range");
    benchmark::DoNotOptimize(log_sum);
  }
  per_weight(st, body);
}

}  // namespace
}  // namespace elbo::bench

int main(int argc, char** argv) {
  for (int64_t n : elbo::bench::kSizes) {
    benchmark::RegisterBenchmark(("normal/" + std::to_string(n)).c_str(),
                                 [n](benchmark::State& st) { elbo::bench::normal_draws(st, n); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("softplus/" + std::to_string(n)).c_str(),
                                 [n](benchmark::State& st) { elbo::bench::softplus_terms<double>(st, n); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("softplus_float_rho/" + std::to_string(n)).c_str(),
                                 [n](benchmark::State& st) { elbo::bench::softplus_terms<float>(st, n); })
        ->Unit(benchmark::kMicrosecond);
  }
  return elbo::bench::bench_main(argc, argv, [] {});  // no reference to check against
}
