// How the cost of one ADVI step grows with the rows N and the hidden width
// (docs/PERFORMANCE.md, "Scaling"; bench/plot_scaling.sh draws it):
//   scaling/width:<w>/rows:<N>   elbo::ADVI::fit, float32, one thread, obj_n_mc 1, full batch,
//                                for N in {500, 5000, 50000, 500000} and w in {5, 32, 128}.
// The model is build_mlp's Bernoulli MLP on 2 input features with two tanh hidden layers of
// width w and no biases: the tutorial's network (w = 5 is exactly it) made wider. Biases are
// left out, as in the tutorial; they would add O(w) work per row against the O(w^2) of the
// middle matmul, and would not change how the cost grows with N. Priors N(0, 1),
// total_size = N (full batch: the likelihood is not rescaled), default optimizer.
//
// Data: make_moons(n_samples = N, noise 0.2, seed 0), standardised, all N rows used for
// training; generated once per N before any timing.
//
// How it is timed: CPU time (one thread, and the machine is shared). Each benchmark builds
// the ADVI and runs one untimed warm-up step (the first step allocates the buffers), then
// every iteration runs fit(k) with k chosen for about 20 ms per iteration (k = 1 for the
// largest cases); Google Benchmark repeats iterations for --benchmark_min_time (default
// 0.5 s). Counters: time_per_step (CPU seconds per step), time_per_row_step (that divided
// by N), and rows, width and weights for the CSV that plot_scaling.sh writes.
// There is no hand-written reference here: the question is the shape of the curve (cost
// linear in N), not a ratio.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "elbo/data.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/model.hpp"
#include "elbo/vi.hpp"

namespace elbo::bench {
namespace {

constexpr int64_t kRows[] = {500, 5000, 50000, 500000};
constexpr int64_t kWidths[] = {5, 32, 128};

struct Data {
  Tensor x, y;
};

Data make_data(int64_t n) {
  auto moons = data::standardize(data::make_moons({.n_samples = n, .noise = 0.2, .seed = 0, .dtype = DType::f64}));
  return {moons.x.to(DType::f32), moons.y.to(DType::f32)};
}

// A rough guess of one step's CPU time, only to choose the steps per iteration (measured
// once on the machine of docs/PERFORMANCE.md): per step, a fixed part and the variational
// work on the D weights; per row, the multiply-adds of forward and backward (about 3 D).
int64_t steps_per_iteration(int64_t n, int64_t w) {
  const double weights = static_cast<double>(w * w + 3 * w);
  const double step = 5e-6 + 30e-9 * weights + static_cast<double>(n) * (10e-9 + 3.0 * weights / 13e9);
  return std::max<int64_t>(1, static_cast<int64_t>(0.02 / step));
}

void run(benchmark::State& st, const Data& d, int64_t w) {
  const int64_t n = d.x.shape()[0];
  Model model(DType::f32);
  Expr x = model.data("x", d.x), y = model.data("y", d.y);
  build_mlp(model, x, y, {.hidden = {w, w}, .total_size = static_cast<double>(n)});
  ADVI advi(model, InferenceOptions{.seed = 1, .threads = 1});
  const FitOptions fo{.obj_n_mc = 1, .progressbar = false};
  advi.fit(1, fo);  // warm-up: the first step sizes every buffer
  const int64_t k = steps_per_iteration(n, w);
  for (auto _ : st) advi.fit(k, fo);
  const double steps = static_cast<double>(st.iterations() * k);
  using C = benchmark::Counter;
  st.counters["time_per_step"] = C(steps, C::kIsRate | C::kInvert);
  st.counters["time_per_row_step"] = C(steps * static_cast<double>(n), C::kIsRate | C::kInvert);
  st.counters["rows"] = static_cast<double>(n);
  st.counters["width"] = static_cast<double>(w);
  st.counters["weights"] = static_cast<double>(model.flat_size());
}

}  // namespace
}  // namespace elbo::bench

int main(int argc, char** argv) {
  using namespace elbo::bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // The data once per N, outside the timing; shared by the three widths.
  std::map<int64_t, std::shared_ptr<Data>> data;
  for (int64_t w : kWidths)
    for (int64_t n : kRows) {
      auto& d = data[n];
      if (!d) d = std::make_shared<Data>(make_data(n));
      const std::string name = "scaling/width:" + std::to_string(w) + "/rows:" + std::to_string(n);
      benchmark::RegisterBenchmark(name.c_str(), [d, w](benchmark::State& st) { run(st, *d, w); })
          ->Unit(benchmark::kMillisecond);
    }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
