#pragma once
// A Bayesian linear regression whose evidence is known in closed form, for the Laplace and
// Pathfinder tests: w ~ N(0, 1 / sqrt(lambda0)) [3], y ~ N(X w, 1), so that
// y ~ N(0, I + X X^T / lambda0) exactly.
#include <cmath>
#include <utility>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"

namespace elbo::testing {

struct Evidence {
  Model m;
  Tensor X, y;
  explicit Evidence(double lambda0, int n = 200) : X(DType::f64, {n, 3}), y(DType::f64, {n}) {
    Tensor e = Philox(21).normal(DType::f64, {4 * n}, 0, 0);
    const double w[3] = {0.4, -0.3, 0.5};  // about the scale of a N(0, 1 / sqrt(4)) prior
    for (int i = 0; i < n; ++i) {
      double mu = 0;
      for (int k = 0; k < 3; ++k) {
        X.set(3 * i + k, e[3 * i + k]);
        mu += w[k] * e[3 * i + k];
      }
      y.set(i, mu + e[3 * n + i]);
    }
    Expr wv = m.normal("w", 0.0, 1 / std::sqrt(lambda0), {3});
    m.normal_likelihood("y", matmul(m.data("X", X), wv), 1.0, m.data("y_obs", y));
  }
  // log N(y | 0, I + X X^T / lambda) by the matrix determinant lemma and Woodbury:
  // C = I + X X^T / l, log det C = log det(I3 + X^T X / l), y^T C^-1 y = y^T y - y^T X (l I3 + X^T X)^-1 X^T y.
  double exact(double lambda) const {
    const int64_t n = y.numel();
    double G[3][3] = {}, Xy[3] = {}, yy = 0;
    for (int64_t i = 0; i < n; ++i) {
      yy += y[i] * y[i];
      for (int r = 0; r < 3; ++r) {
        Xy[r] += X[3 * i + r] * y[i];
        for (int c = 0; c < 3; ++c) G[r][c] += X[3 * i + r] * X[3 * i + c];
      }
    }
    auto det3 = [](const double A[3][3]) {
      return A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
             A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
    };
    double A[3][3], B[3][3];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) {
        A[r][c] = (r == c) + G[r][c] / lambda;
        B[r][c] = lambda * (r == c) + G[r][c];
      }
    // B^-1 Xy by Cramer's rule.
    const double dB = det3(B);
    double quad = 0;
    for (int k = 0; k < 3; ++k) {
      double Bk[3][3];
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) Bk[r][c] = c == k ? Xy[r] : B[r][c];
      quad += Xy[k] * det3(Bk) / dB;
    }
    return -0.5 * static_cast<double>(n) * std::log(2 * M_PI) - 0.5 * std::log(det3(A)) - 0.5 * (yy - quad);
  }
  /// The lambda of largest exact evidence on a grid of `steps` + 1 points even in log lambda
  /// from 0.01 to `hi`, and that evidence.
  std::pair<double, double> exact_maximum(double hi, int steps) const {
    double best = 0, best_lambda = 0;
    for (int k = 0; k <= steps; ++k) {
      const double lambda = std::exp(std::log(0.01) + k * (std::log(hi / 0.01) / steps));
      const double v = exact(lambda);
      if (k == 0 || v > best) best = v, best_lambda = lambda;
    }
    return {best_lambda, best};
  }
};


}  // namespace elbo::testing
