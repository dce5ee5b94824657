// PyMC3's "Variational Inference: Bayesian Neural Networks" in short: the moons data, the
// 2 -> 5 -> 5 -> 1 tanh network with N(0, 1) priors, ADVI on the full data and on
// minibatches, and the test accuracy of the posterior predictive. `elbo demo` runs the
// whole tutorial with its figures (apps/elbo/demo_tutorial.cpp; docs/tutorial.md).
// Usage: bnn_moons [--quick]. Exits 1 when the accuracy is below 90 %.
#include <elbo/elbo.hpp>

#include <cstdio>
#include <cstring>
#include <exception>

using namespace elbo;

namespace {

// The tutorial's construct_nn: standard-normal initial means (testval=init_*), a Bernoulli
// likelihood with total_size for minibatches.
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

// Share of test rows whose posterior predictive mean probability is on the right side of 0.5.
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

}  // namespace

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
