// One mean-field ADVI step at the network sizes of issue #17 (docs/PERFORMANCE.md,
// "Realistic sizes"): what `elbo fit --likelihood categorical --hidden H,H --bias
// --optimizer adam --lr 0.01 [--batch-size 128]` does per step, without the process around
// it, so that the step can be profiled and its parts compared.
//
//   realistic/<row>/threads:<T>
//     digits_full   64-32-32-10, 1257 rows, full batch
//     digits_128    64-32-32-10, 128 of 1257 rows per step
//     mnist100_128  784-100-100-10, 128 of 10,000 rows per step
//     mnist400_128  784-400-400-10, 128 of 10,000 rows per step
//     tutorial      2-5-5-1, no biases, Bernoulli, 500 rows, full batch
//
// Data: seeded N(0, 1) features and uniform labels (the cost of a step does not depend on
// the values; bench/peers/make_size_data.py writes the data of the peer runs). The model is
// build_mlp's, with `elbo fit`'s starting point (weights at N(0, 1) draws times
// min(1, 2 / sqrt(fan_in)), biases 0, every sigma 0.05) and Adam at 0.01.
//
// How it is timed: wall time per step (the two-thread cases run the same one-draw step
// with a pool of two: threads split draws, so at one draw they show the overhead),
// after one untimed warm-up step that sizes every buffer; each iteration runs fit(k) for
// about 50 ms. Counters: time_per_step and parameters.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/model.hpp"
#include "elbo/vi.hpp"

namespace elbo::bench {
namespace {

struct Row {
  const char* name;
  int64_t features, width, classes, rows, batch;  // batch 0: full batch
};

constexpr Row kRows[] = {
    {"digits_full", 64, 32, 10, 1257, 0},      {"digits_128", 64, 32, 10, 1257, 128},
    {"mnist100_128", 784, 100, 10, 10000, 128}, {"mnist400_128", 784, 400, 10, 10000, 128},
    {"tutorial", 2, 5, 2, 500, 0},
};

struct Fit {
  std::unique_ptr<Model> model;
  std::unique_ptr<Inference> inference;
};

Fit make_fit(const Row& r, int threads) {
  Tensor x = Philox(7).normal(DType::f32, {r.rows, r.features}, 0, 0), y(DType::f32, {r.rows});
  for (int64_t i = 0; i < r.rows; ++i) y.set(i, static_cast<double>(static_cast<int64_t>(i * 7919) % r.classes));
  Fit f{std::make_unique<Model>(DType::f32), nullptr};
  Model& m = *f.model;
  MlpOptions mo{.hidden = {r.width, r.width}, .bias = r.classes > 2, .init_seed = 0, .init_gain = 2.0};
  Expr xe, ye;
  if (r.batch > 0) {
    auto b = m.minibatch({"x", "y"}, {x, y}, {.batch_size = r.batch, .seed = 1});
    xe = b[0];
    ye = b[1];
    mo.total_size = static_cast<double>(r.rows);
  } else {
    xe = m.data("x", x);
    ye = m.data("y", y);
  }
  if (r.classes > 2)
    build_mlp(m, xe, ye, mo, *make_likelihood("categorical", {{"classes", static_cast<double>(r.classes)}}));
  else
    build_mlp(m, xe, ye, mo);
  InferenceOptions io;
  io.seed = 0;
  io.threads = threads;
  io.start = m.initial_point();
  io.optimizer.name = "adam";
  io.optimizer.learning_rate = 0.01;
  io.start_sigma = 0.05;
  if (r.batch == 0) io.row_data = {"x", "y"};  // as `elbo fit` does for a full batch
  f.inference = make_inference(m, "advi", io);
  return f;
}

void run(benchmark::State& st, const Row& r, int threads) {
  Fit f = make_fit(r, threads);
  const FitOptions fo{.obj_n_mc = 1, .progressbar = false};
  f.inference->fit(1, fo);
  auto t0 = std::chrono::steady_clock::now();
  f.inference->fit(3, fo);
  const double step = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 3;
  const int64_t k = std::max<int64_t>(1, static_cast<int64_t>(0.05 / std::max(step, 1e-9)));
  for (auto _ : st) f.inference->fit(k, fo);
  using C = benchmark::Counter;
  st.counters["time_per_step"] = C(static_cast<double>(st.iterations() * k), C::kIsRate | C::kInvert);
  st.counters["parameters"] = static_cast<double>(f.model->flat_size());
}

}  // namespace
}  // namespace elbo::bench

int main(int argc, char** argv) {
  for (const auto& r : elbo::bench::kRows)
    for (int threads : {1, 2})
      benchmark::RegisterBenchmark((std::string("realistic/") + r.name + "/threads:" + std::to_string(threads)).c_str(),
                                   [&r, threads](benchmark::State& st) { elbo::bench::run(st, r, threads); })
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
