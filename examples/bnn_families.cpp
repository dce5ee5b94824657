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

#include "tutorial_network.hpp"

using namespace elbo;
using elbo::examples::accuracy;
using elbo::examples::construct_nn;

namespace {

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
