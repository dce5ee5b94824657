// PSIS k-hat on 10,000 draws (issue #18: "benchmarks for k-hat on 10,000 draws"): the
// smoothing alone (psis on 10,000 log ratios), and check_approximation of a mean-field q
// on the tutorial's network and its 500 training rows (float32), on 1 and 2 threads: the
// 10,000 full-data log densities are most of it.
#include <benchmark/benchmark.h>

#include <vector>

#include "elbo/graph/random.hpp"
#include "elbo/vi.hpp"
#include "tutorial_problem.hpp"

namespace {

void psis_10000_ratios(benchmark::State& state) {
  std::vector<double> r(10000);
  elbo::Philox(1).normal(r.data(), 10000, 0, 0);
  for (double& v : r) v = 0.4 * v * v;  // a heavy right tail, as from a too-narrow q
  for (auto _ : state) benchmark::DoNotOptimize(elbo::psis(r).khat);
}
BENCHMARK(psis_10000_ratios)->Unit(benchmark::kMillisecond);

void khat_tutorial_10000_draws(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  elbo::bench::TutorialData d = elbo::bench::tutorial_data(elbo::DType::f32);
  elbo::bench::TutorialModel t = elbo::bench::tutorial_model(d.x_train, d.y_train);
  const elbo::Tensor start = t.model->initial_point();
  elbo::MeanField q(start.to_vector(), 0.1);
  double khat = 0;
  for (auto _ : state) {
    khat = elbo::check_approximation(*t.model, q, {.draws = 10000, .seed = 1, .threads = threads}).psis.khat;
    benchmark::DoNotOptimize(khat);
  }
  state.SetLabel("tutorial network, 500 rows, float32, " + std::to_string(threads) + " thread(s)");
}
BENCHMARK(khat_tutorial_10000_draws)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
