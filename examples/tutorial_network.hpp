#pragma once
// The tutorial's network and its accuracy measure, shared by the examples that fit it
// (bnn_moons.cpp, bnn_families.cpp).
#include <elbo/elbo.hpp>

namespace elbo::examples {

// The tutorial's construct_nn: standard-normal initial means (testval=init_*), a Bernoulli
// likelihood with total_size for minibatches.
inline Expr construct_nn(Model& m, Expr x, Expr y, int64_t total_size) {
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
inline double accuracy(Predictor& predict, const data::Dataset& test, int64_t draws) {
  Tensor probs = predict({test.x}, draws);  // [draws, rows]
  int64_t ok = 0, rows = test.rows();
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0;
    for (int64_t d = 0; d < draws; ++d) mean += probs[d * rows + r] / static_cast<double>(draws);
    ok += (mean > 0.5) == (test.y[r] > 0.5);
  }
  return static_cast<double>(ok) / static_cast<double>(rows);
}

}  // namespace elbo::examples
