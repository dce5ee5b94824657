#pragma once
// A model with a known, strongly correlated Gaussian posterior, for the inference tests.
#include <cmath>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"

namespace elbo::testing {

// Bayesian linear regression with correlated features: w ~ N(0, I), y ~ N(X w, 0.5^2).
// The exact posterior is Gaussian with precision P = I + X^T X / 0.25.
struct Regression {
  Model m;
  double P[2][2]{};
  double mean[2]{};
  Regression() {
    const int n = 30;
    Tensor X(DType::f64, {n, 2}), y(DType::f64, {n});
    Tensor e = Philox(11).normal(DType::f64, {3 * n}, 0, 0);
    for (int i = 0; i < n; ++i) {
      double a = e[i], b = 0.9 * a + 0.45 * e[n + i];  // correlation ~0.9
      X.set(2 * i, a);
      X.set(2 * i + 1, b);
      y.set(i, 1.0 * a - 0.5 * b + 0.5 * e[2 * n + i]);
    }
    Expr w = m.normal("w", 0.0, 1.0, {2});
    m.normal_likelihood("y", matmul(m.data("X", X), w), 0.5, m.data("y_obs", y));
    double Xty[2] = {0, 0};
    P[0][0] = P[1][1] = 1.0;
    for (int i = 0; i < n; ++i) {
      for (int r = 0; r < 2; ++r) {
        Xty[r] += X[2 * i + r] * y[i] / 0.25;
        for (int c = 0; c < 2; ++c) P[r][c] += X[2 * i + r] * X[2 * i + c] / 0.25;
      }
    }
    double det = P[0][0] * P[1][1] - P[0][1] * P[1][0];
    mean[0] = (P[1][1] * Xty[0] - P[0][1] * Xty[1]) / det;
    mean[1] = (-P[1][0] * Xty[0] + P[0][0] * Xty[1]) / det;
  }
  double cov(int r, int c) const {
    double det = P[0][0] * P[1][1] - P[0][1] * P[1][0];
    double inv[2][2] = {{P[1][1] / det, -P[0][1] / det}, {-P[1][0] / det, P[0][0] / det}};
    return inv[r][c];
  }
};

}  // namespace elbo::testing
