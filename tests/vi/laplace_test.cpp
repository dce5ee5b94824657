// The Laplace approximation on Gaussian posteriors, where it is exact: the mode is the
// posterior mean and the inverse Hessian its covariance. Tolerances: 1e-6 relative, above
// the central differences' error (about 1e-10 in float64) and the mode's (L-BFGS stops at a
// relative decrease of 2e-12 in -log p, a few 1e-7 of a posterior sd).
#include "elbo/vi/laplace.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"
#include "elbo/vi/full_rank.hpp"
#include "regression_model.hpp"
#include "support/expect_throw_msg.hpp"

namespace elbo {
namespace {

using testing::Regression;

TEST(laplace, full_hessian_gives_the_exact_gaussian_posterior) {
  Regression r;
  LaplaceFit fit = fit_laplace(r.m, {.hessian = "full"});
  EXPECT_TRUE(fit.map.converged) << fit.map.reason;
  EXPECT_EQ(fit.q->kind(), "fullrank");
  EXPECT_EQ(fit.raised, 0);
  Tensor cov = fit.q->cov();
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(fit.q->mean()[i], r.mean[i], 1e-6 * std::sqrt(r.cov(i, i)));
    for (int j = 0; j < 2; ++j) EXPECT_NEAR(cov[2 * i + j], r.cov(i, j), 1e-6 * r.cov(i, i)) << i << "," << j;
  }
  EXPECT_EQ(fit.gradient_evaluations, 4);  // two per column
}

TEST(laplace, diag_hessian_gives_the_inverse_diagonal_precision) {
  Regression r;
  LaplaceFit fit = fit_laplace(r.m, {.hessian = "diag"});
  EXPECT_EQ(fit.q->kind(), "meanfield");
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(fit.q->mean()[i], r.mean[i], 1e-6 * std::sqrt(r.cov(i, i)));
    EXPECT_NEAR(fit.q->sd()[i], 1 / std::sqrt(r.P[i][i]), 1e-6 / std::sqrt(r.P[i][i]));
  }
}

// a, b ~ N(0, 1), y_i ~ N(a + b t_i, 0.5): a Gaussian posterior with precision
// P = I + T^T T / 0.25 for T = [1, t_i].
struct TwoVariables {
  Model m;
  double P[2][2] = {{1, 0}, {0, 1}};
  TwoVariables() {
    const int n = 20;
    Tensor t(DType::f64, {n}), y(DType::f64, {n});
    Tensor e = Philox(3).normal(DType::f64, {2 * n}, 0, 0);
    for (int i = 0; i < n; ++i) {
      t.set(i, e[i]);
      y.set(i, 0.3 + 0.8 * e[i] + 0.5 * e[n + i]);
      const double row[2] = {1, e[i]};
      for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 2; ++c) P[r][c] += row[r] * row[c] / 0.25;
    }
    Expr a = m.normal("a", 0.0, 1.0), b = m.normal("b", 0.0, 1.0);
    m.normal_likelihood("y", a + b * m.data("t", t), 0.5, m.data("y_obs", y));
  }
};

TEST(laplace, a_subset_takes_the_conditional_gaussian_and_the_rest_stays_at_the_mode) {
  TwoVariables v;
  LaplaceFit fit = fit_laplace(v.m, {.hessian = "full", .subset = {"b"}, .fixed_sd = 1e-7});
  const std::vector<double> sd = fit.q->sd();
  EXPECT_NEAR(sd[1], 1 / std::sqrt(v.P[1][1]), 1e-6 / std::sqrt(v.P[1][1]));  // b given a
  EXPECT_NEAR(sd[0], 1e-7, 1e-12);
  EXPECT_NEAR(fit.q->cov()[1], 0.0, 1e-12);
  EXPECT_EQ(fit.gradient_evaluations, 2);
}

// w ~ N(0, 1 / sqrt(lambda)) [3], y ~ N(X w, 1): y ~ N(0, I + X X^T / lambda) exactly.
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
};

TEST(laplace, evidence_is_exact_for_a_gaussian_model) {
  Evidence e(2.0);
  LaplaceFit fit = fit_laplace(e.m, {.hessian = "full"});
  EXPECT_NEAR(fit.log_evidence, e.exact(2.0), 1e-6 * std::fabs(e.exact(2.0)));
  EXPECT_EQ(fit.prior_precision, 1.0);  // nothing tuned: the option's value, as given
}

TEST(laplace, tuned_prior_precision_is_near_the_exact_evidence_maximum) {
  // Post hoc (the mode of lambda0 = 1 kept), as laplace-torch: with 200 rows the mode moves
  // little with lambda (about 2 % of |w|), so the chosen lambda is within 15 % of the exact evidence's
  // maximiser (found on a fine grid of the closed form).
  Evidence e(1.0);
  double best = 0, best_lambda = 0;
  for (int k = 0; k <= 4000; ++k) {
    const double lambda = std::exp(std::log(0.01) + k * (std::log(1e4) / 4000));
    const double v = e.exact(lambda);
    if (k == 0 || v > best) best = v, best_lambda = lambda;
  }
  for (const char* h : {"full", "diag"}) {
    LaplaceFit fit = fit_laplace(e.m, {.hessian = h, .tuned_prior = {"w"}, .prior_precision = 1.0});
    if (std::string(h) == "full") {
      EXPECT_NEAR(fit.prior_precision, best_lambda, 0.15 * best_lambda);
      EXPECT_NEAR(fit.log_evidence, best, 0.1);
    }
    EXPECT_GT(fit.prior_precision, 0.1) << h;
  }
}

TEST(laplace, names_bad_options) {
  Regression r;
  EXPECT_THROW_MSG(fit_laplace(r.m, {.hessian = "kron"}), InvalidArgument, "option 'hessian' is 'kron'");
  EXPECT_THROW_MSG(fit_laplace(r.m, {.subset = {"v"}}), InvalidArgument, "option 'subset' names 'v'");
  EXPECT_THROW_MSG(fit_laplace(r.m, {.tuned_prior = {"q"}}), InvalidArgument, "option 'tuned_prior' names 'q'");
  EXPECT_THROW_MSG(fit_laplace(r.m, {.prior_precision = -1}), InvalidArgument, "option 'prior_precision' is -1");
  Model mb;
  Tensor x = Philox(1).normal(DType::f64, {100}, 0, 0);
  Expr mu = mb.normal("mu", 0.0, 1.0);
  auto in = mb.minibatch({"x_batch"}, {x}, {.batch_size = 10, .seed = 1});
  mb.normal_likelihood("x", mu, 1.0, in[0], {.total_size = 100});
  EXPECT_THROW_MSG(fit_laplace(mb), InvalidArgument, "the model draws minibatches");
}

}  // namespace
}  // namespace elbo
