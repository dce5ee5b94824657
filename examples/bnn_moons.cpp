// PyMC3's "Variational Inference: Bayesian Neural Networks" in short: the moons data, the
// 2 -> 5 -> 5 -> 1 tanh network with N(0, 1) priors, ADVI on the full data and on
// minibatches, and the test accuracy of the posterior predictive. `elbo demo` runs the
// whole tutorial with its figures (apps/elbo/demo_tutorial.cpp; docs/tutorial.md).
// Usage: bnn_moons [--quick]. Exits 1 when the accuracy is below 90 %.
#include <elbo/elbo.hpp>

#include <cstdio>
#include <cstring>
#include <exception>

#include "tutorial_network.hpp"

using namespace elbo;
using elbo::examples::accuracy;
using elbo::examples::construct_nn;

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  try {
    auto moons = data::standardize(data::make_moons({.n_samples = 1000, .noise = 0.2, .dtype = DType::f32}));
    auto [train, test] = data::train_test_split(moons, {.test_size = 0.5});

    Model nn(DType::f32);
    Expr x = nn.data("ann_input", train.x), y = nn.data("ann_output", train.y);
    Expr p = construct_nn(nn, x, y, train.rows());
    ADVI advi(nn, {.seed = 2});
    advi.fit(quick ? 20000 : 30000);
    Predictor predict = Posterior(advi).predictor(p, {x});
    const double full = accuracy(predict, test, 500);
    std::printf("ADVI: accuracy %.1f%% on the test half\n", 100 * full);

    Model nn_mb(DType::f32);
    auto batch = nn_mb.minibatch({"x", "y"}, {train.x, train.y}, {.batch_size = 50, .seed = 8});
    Expr p_mb = construct_nn(nn_mb, batch[0], batch[1], train.rows());
    ADVI advi_mb(nn_mb, {.seed = 9});
    advi_mb.fit(quick ? 10000 : 40000);
    Predictor predict_mb = Posterior(advi_mb).predictor(p_mb, {batch[0]});
    std::printf("minibatch ADVI: accuracy %.1f%%\n", 100 * accuracy(predict_mb, test, 500));
    return full > 0.9 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnn_moons: %s\n", e.what());
    return 1;
  }
}
