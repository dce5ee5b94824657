// A Pathfinder run and a Laplace fit on the tutorial's network (2-5-5-1 tanh, no biases, its
// 500 training rows, float64) (issue #18: "benchmarks ... for a Pathfinder run"): single-path
// Pathfinder (1000 L-BFGS iterations at most, 5 ELBO draws per point), 4-path Pathfinder on 1
// and 2 threads (paths run in parallel), and last-layer and all-weights Laplace.
#include <benchmark/benchmark.h>

#include <string>

#include "elbo/vi.hpp"
#include "tutorial_problem.hpp"

namespace {

void pathfinder_tutorial(benchmark::State& state) {
  const int paths = static_cast<int>(state.range(0)), threads = static_cast<int>(state.range(1));
  elbo::bench::TutorialData d = elbo::bench::tutorial_data(elbo::DType::f64);
  elbo::bench::TutorialModel t = elbo::bench::tutorial_model(d.x_train, d.y_train);
  int64_t iterations = 0;
  for (auto _ : state) {
    elbo::PathfinderFit fit =
        elbo::fit_pathfinder(*t.model, {.paths = paths, .start = t.model->initial_point(), .seed = 1, .threads = threads});
    iterations = fit.paths[0].iterations;
    benchmark::DoNotOptimize(fit.q->params().data());
  }
  state.counters["path0_iterations"] = static_cast<double>(iterations);
  state.SetLabel("tutorial network, 500 rows, float64, " + std::to_string(paths) + " path(s), " +
                 std::to_string(threads) + " thread(s)");
}
BENCHMARK(pathfinder_tutorial)->Args({1, 1})->Args({4, 1})->Args({4, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

void laplace_tutorial(benchmark::State& state) {
  const bool all = state.range(0) != 0;
  elbo::bench::TutorialData d = elbo::bench::tutorial_data(elbo::DType::f64);
  elbo::bench::TutorialModel t = elbo::bench::tutorial_model(d.x_train, d.y_train);
  elbo::LaplaceOptions o;
  if (!all) o.subset = {"w_2_out"};
  o.tuned_prior = t.net.weight_names;
  for (auto _ : state) {
    elbo::LaplaceFit fit = elbo::fit_laplace(*t.model, o);
    benchmark::DoNotOptimize(fit.q->params().data());
  }
  state.SetLabel(std::string("tutorial network, 500 rows, float64, full Hessian over ") +
                 (all ? "all 40 weights" : "the last layer"));
}
BENCHMARK(laplace_tutorial)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
