// The tutorial's network (moons, 2 -> 5 -> 5 -> 1 tanh, N(0, 1) priors) fitted with every
// approximating family and objective elbo has, side by side: mean-field ADVI, full-rank,
// low-rank (rank 5), a normalizing flow (scale-planar*8-loc), mean-field with the IWAE
// bound, SVGD with 50 particles and ASVGD. For each: the test accuracy of the posterior
// predictive mean and the fit's wall time. Usage: bnn_families [--quick]. Exits 1 when a
// family's accuracy is below 85 %.
#include <elbo/elbo.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>

using namespace elbo;

namespace {

// The network as in examples/bnn_moons.cpp: standard-normal initial means.
Expr construct_nn(Model& m, Expr x, Expr y, int64_t total_size) {
  Philox rng(2);
  Expr w_in_1 = m.normal("w_in_1", 0, 1, {2, 5}, {.initial = rng.normal(DType::f64, {2, 5}, 0, 0)});
  Expr w_1_2 = m.normal("w_1_2", 0, 1, {5, 5}, {.initial = rng.normal(DType::f64, {5, 5}, 1, 0)});
  Expr w_2_out = m.normal("w_2_out", 0, 1, {5}, {.initial = rng.normal(DType::f64, {5}, 2, 0)});
  Expr act_2 = tanh(matmul(tanh(matmul(x, w_in_1)), w_1_2));
  Expr p = m.deterministic("p", sigmoid(matmul(act_2, w_2_out)));
  m.bernoulli("out", p, y, {.total_size = static_cast<double>(total_size)});
  return p;
}

double accuracy(Predictor& predict, const data::Dataset& test, int64_t draws) {
  Tensor probs = predict({test.x}, draws);  // [draws, rows]
  int64_t ok = 0, rows = test.rows();
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0;
    for (int64_t d = 0; d < draws; ++d) mean += probs[d * rows + r] / static_cast<double>(draws);
    ok += (mean > 0.5) == (test.y[r] > 0.5);
  }
  return static_cast<double>(ok) / static_cast<double>(rows);
}

struct Family {
  const char* name;
  std::function<std::unique_ptr<Inference>(const Model&)> make;
  FitOptions fit;
  int64_t steps;
};

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  try {
    auto moons = data::standardize(data::make_moons({.n_samples = 1000, .noise = 0.2, .dtype = DType::f32}));
    auto [train, test] = data::train_test_split(moons, {.test_size = 0.5});
    const OptimizerOptions adam{.name = "adam", .learning_rate = 0.01};
    const int64_t n = quick ? 4000 : 15000;
    const std::vector<Family> families = {
        {"advi", [&](const Model& m) { return std::make_unique<ADVI>(m, InferenceOptions{.seed = 1, .optimizer = adam}); },
         {.progressbar = false}, n},
        {"fullrank_advi",
         [&](const Model& m) { return std::make_unique<FullRankADVI>(m, InferenceOptions{.seed = 1, .optimizer = adam}); },
         {.progressbar = false}, n},
        {"lowrank_advi (rank 5)",
         [&](const Model& m) {
           return std::make_unique<LowRankADVI>(m, InferenceOptions{.seed = 1, .optimizer = adam, .rank = 5});
         },
         {.progressbar = false}, n},
        {"nfvi (scale-planar*8-loc)",
         [&](const Model& m) {
           return std::make_unique<NFVI>(m, InferenceOptions{.seed = 1, .optimizer = adam, .flow = "scale-planar*8-loc"});
         },
         {.progressbar = false}, n},
        {"advi, iwae bound (K = 8)",
         [&](const Model& m) { return std::make_unique<ADVI>(m, InferenceOptions{.seed = 1, .optimizer = adam}); },
         {.obj_n_mc = 8, .objective = Objective::iwae(), .progressbar = false}, n / 2},
        {"svgd (50 particles)",
         [&](const Model& m) {
           return std::make_unique<SVGD>(m, InferenceOptions{.seed = 1, .optimizer = adam, .particles = 50});
         },
         {.progressbar = false}, n / 4},
        {"asvgd (20 draws a step)",
         [&](const Model& m) { return std::make_unique<ASVGD>(m, InferenceOptions{.seed = 1, .optimizer = adam}); },
         {.obj_n_mc = 20, .progressbar = false}, n / 2},
    };
    bool all_good = true;
    std::printf("%-28s %8s %10s %9s\n", "family", "steps", "fit (s)", "accuracy");
    for (const Family& f : families) {
      Model nn(DType::f32);
      Expr x = nn.data("ann_input", train.x), y = nn.data("ann_output", train.y);
      Expr p = construct_nn(nn, x, y, train.rows());
      std::unique_ptr<Inference> inference = f.make(nn);
      const auto t0 = std::chrono::steady_clock::now();
      inference->fit(f.steps, f.fit);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      Predictor predict = Posterior(*inference).predictor(p, {x});
      const double acc = accuracy(predict, test, 500);
      std::printf("%-28s %8ld %10.2f %8.1f%%\n", f.name, static_cast<long>(f.steps), seconds, 100 * acc);
      all_good = all_good && acc > 0.85;
    }
    return all_good ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnn_families: %s\n", e.what());
    return 1;
  }
}
