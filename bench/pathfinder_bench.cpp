// A Pathfinder run and a Laplace fit on the tutorial's network (2-5-5-1 tanh, no biases, its
// 500 training rows, float64) (issue #18: "benchmarks ... for a Pathfinder run"): single-path
// Pathfinder (1000 L-BFGS iterations at most, 5 ELBO draws per point), 4-path Pathfinder on 1
// and 2 threads (paths run in parallel), and last-layer and all-weights Laplace (full and
// Kronecker-factored); and the Kronecker factors of a digits-sized network (64-100-100-10,
// 17,610 weights, 1257 rows), the part of a K-FAC Laplace that grows with the network.
#include <benchmark/benchmark.h>

#include <string>

#include "elbo/bnn/kronecker_factors.hpp"
#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/graph/random.hpp"
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
        elbo::fit_pathfinder(*t.model, {.paths = paths, .starts = {t.model->initial_point()}, .seed = 1, .threads = threads});
    iterations = fit.paths[0].iterations;
    benchmark::DoNotOptimize(fit.q->params().data());
  }
  state.counters["path0_iterations"] = static_cast<double>(iterations);
  state.SetLabel("tutorial network, 500 rows, float64, " + std::to_string(paths) + " path(s), " +
                 std::to_string(threads) + " thread(s)");
}
BENCHMARK(pathfinder_tutorial)->Args({1, 1})->Args({4, 1})->Args({4, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

void laplace_tutorial(benchmark::State& state) {
  const bool all = state.range(0) != 0, kron = state.range(0) == 2;
  elbo::bench::TutorialData d = elbo::bench::tutorial_data(elbo::DType::f64);
  elbo::bench::TutorialModel t = elbo::bench::tutorial_model(d.x_train, d.y_train);
  elbo::LaplaceOptions o;
  if (!all) o.subset = {"w_2_out"};
  o.tuned_prior = t.net.weight_names;
  if (kron) {
    o.hessian = "kron";
    o.kronecker_factors = [&](std::span<const double> z) {
      return elbo::mlp_kronecker_factors(*t.model, t.net, elbo::MlpOptions{}, *elbo::make_likelihood("bernoulli"), z);
    };
  }
  for (auto _ : state) {
    elbo::LaplaceFit fit = elbo::fit_laplace(*t.model, o);
    benchmark::DoNotOptimize(fit.q->params().data());
  }
  state.SetLabel(std::string("tutorial network, 500 rows, float64, ") + (kron ? "Kronecker-factored" : "full") +
                 " Hessian over " + (all ? "all 40 weights" : "the last layer"));
}
BENCHMARK(laplace_tutorial)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void kronecker_factors_digits_sized(benchmark::State& state) {
  const int64_t rows = 1257, features = 64;
  const elbo::Philox rng(3);
  const elbo::Tensor x = rng.normal(elbo::DType::f64, {rows, features}, 0, 0);
  elbo::Tensor y(elbo::DType::f64, {rows});
  for (int64_t r = 0; r < rows; ++r) y.set(r, static_cast<double>(r % 10));
  auto likelihood = elbo::make_likelihood("categorical", {{"classes", 10}});
  elbo::Model model(elbo::DType::f64);
  const elbo::MlpOptions options{.hidden = {100, 100}, .bias = true, .init_seed = 1, .init_gain = 2};
  elbo::Mlp net = elbo::build_mlp(model, model.data("x", x), model.data("y", y), options, *likelihood);
  const std::vector<double> z = model.initial_point().to_vector();
  for (auto _ : state) {
    std::vector<elbo::KroneckerFactors> f = elbo::mlp_kronecker_factors(model, net, options, *likelihood, z);
    benchmark::DoNotOptimize(f.data());
  }
  state.SetLabel("64-100-100-10 tanh with biases (17,610 weights), 1257 rows, 10 classes, float64");
}
BENCHMARK(kronecker_factors_digits_sized)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
