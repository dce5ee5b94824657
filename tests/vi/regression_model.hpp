#pragma once
// A model with a known, strongly correlated Gaussian posterior, for the inference tests.
#include <gtest/gtest.h>

#include <cmath>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"
#include "elbo/vi.hpp"

namespace elbo::testing {

// Bayesian linear regression with correlated features: w ~ N(0, I), y ~ N(X w, 0.5^2).
// The exact posterior is Gaussian with precision P = I + X^T X / 0.25.
struct Regression {
  Model m;
  double P[2][2]{};
  double mean[2]{};
  explicit Regression(DType dtype = DType::f64) : m(dtype) {
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


/// The mean and covariance of q averaged over `steps` further single steps of a fit (each
/// with 4 draws): averaging iterates removes most of the optimizer's noise.
struct AveragedMoments {
  double mean[2]{}, cov[2][2]{};
};
inline AveragedMoments averaged_moments(Inference& inference, int steps) {
  AveragedMoments a;
  for (int k = 0; k < steps; ++k) {
    inference.fit(1, {.obj_n_mc = 4, .progressbar = false});
    Tensor c = inference.approximation().cov();
    for (int i = 0; i < 2; ++i) {
      a.mean[i] += inference.approximation().mean()[i] / steps;
      for (int j = 0; j < 2; ++j) a.cov[i][j] += c[2 * i + j] / steps;
    }
  }
  return a;
}

/// The checks of a fit to Regression's posterior: means within 0.05 sd (+0.02), variances
/// within 15 % and the (strongly negative) correlation within 0.1 of the exact ones, several
/// times the residual noise of 2000 averaged iterates.
inline void expect_regression_posterior(const Regression& r, const AveragedMoments& a) {
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(a.mean[i], r.mean[i], 0.05 * std::sqrt(r.cov(i, i)) + 0.02);
    EXPECT_NEAR(a.cov[i][i], r.cov(i, i), 0.15 * r.cov(i, i));
  }
  const double corr = a.cov[0][1] / std::sqrt(a.cov[0][0] * a.cov[1][1]);
  const double exact = r.cov(0, 1) / std::sqrt(r.cov(0, 0) * r.cov(1, 1));
  EXPECT_LT(exact, -0.5);  // the test is only meaningful for a strongly correlated posterior
  EXPECT_NEAR(corr, exact, 0.1);
}

}  // namespace elbo::testing
