// mlp_kronecker_factors (elbo/bnn/kronecker_factors.hpp): on one data row K-FAC is the
// generalised Gauss-Newton matrix itself, checked against J^T Lambda J from a finite-
// difference Jacobian and the likelihood's curvature written out; and a K-FAC Laplace of a
// linear-Gaussian network equals the full Laplace over its weights (the GGN is the Hessian
// there and one output makes K-FAC exact).
#include "elbo/bnn/kronecker_factors.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>

#include "support/expect_throw_msg.hpp"
#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/bnn/predictive_draws.hpp"
#include "elbo/vi/laplace.hpp"
#include "elbo/vi/mean_field.hpp"

namespace elbo {
namespace {

using Matrix = Eigen::MatrixXd;

struct Built {
  Model model{DType::f64};
  Mlp net;
  MlpOptions options;
};

std::unique_ptr<Built> build(const Likelihood& likelihood, const Tensor& x, const Tensor& y, MlpOptions o) {
  auto b = std::make_unique<Built>();
  b->options = o;
  b->net = build_mlp(b->model, b->model.data("x", x), b->model.data("y", y), o, likelihood);
  return b;
}

// f(z) at every row, [rows * K].
std::vector<double> outputs_at(const Built& b, const Likelihood& likelihood, const std::vector<double>& z) {
  const MeanField point(z, std::vector<double>(z.size(), 1e-300));
  return draw_predictive(b.model, point, b.net, likelihood, *b.net.x.value(), 1, 0).output;
}

// The GGN of one row, J^T Lambda J over all the weights, with J by central differences and
// Lambda written out for the likelihood (bernoulli: p (1 - p); categorical: diag p - p p^T).
Matrix one_row_ggn(const Built& b, const Likelihood& likelihood, const std::vector<double>& z) {
  const int64_t D = static_cast<int64_t>(z.size()), K = likelihood.outputs();
  Matrix J(K, D);
  for (int64_t j = 0; j < D; ++j) {
    std::vector<double> up = z, down = z;
    up[j] += 1e-5;
    down[j] -= 1e-5;
    const std::vector<double> fu = outputs_at(b, likelihood, up), fd = outputs_at(b, likelihood, down);
    for (int64_t k = 0; k < K; ++k) J(k, j) = (fu[k] - fd[k]) / 2e-5;
  }
  const std::vector<double> f = outputs_at(b, likelihood, z);
  Matrix lambda(K, K);
  if (K == 1) {
    const double p = 1 / (1 + std::exp(-f[0]));
    lambda(0, 0) = p * (1 - p);
  } else {
    Eigen::VectorXd p(K);
    for (int64_t k = 0; k < K; ++k) p(k) = std::exp(f[k]);
    p /= p.sum();
    lambda = Matrix(p.asDiagonal()) - p * p.transpose();
  }
  return J.transpose() * lambda * J;
}

void expect_factors_are_the_ggn(const Likelihood& likelihood) {
  const Tensor x(DType::f64, {1, 3}, {0.7, -1.2, 0.4});
  const Tensor y(DType::f64, {1}, {1});
  auto b = build(likelihood, x, y, {.hidden = {4, 3}, .activation = "tanh", .bias = true, .init_seed = 5});
  const std::vector<double> z = b->model.initial_point().to_vector();
  const Matrix ggn = one_row_ggn(*b, likelihood, z);
  const std::vector<KroneckerFactors> factors = mlp_kronecker_factors(b->model, b->net, b->options, likelihood, z);
  ASSERT_EQ(factors.size(), 3u);
  int64_t covered = 0;
  for (const KroneckerFactors& f : factors) {
    const KroneckerBlock& at = f.block;
    covered += at.rows * at.cols;
    for (int64_t i = 0; i < at.rows; ++i)
      for (int64_t j = 0; j < at.cols; ++j)
        for (int64_t i2 = 0; i2 < at.rows; ++i2)
          for (int64_t j2 = 0; j2 < at.cols; ++j2) {
            const double kfac = f.a[static_cast<size_t>(i * at.rows + i2)] * f.g[static_cast<size_t>(j * at.cols + j2)];
            const double want = ggn(at.offset + i * at.cols + j, at.offset + i2 * at.cols + j2);
            // The Jacobian's central differences are good to about 1e-9; the curvature's to 1e-7.
            ASSERT_NEAR(kfac, want, 1e-6 * (1 + std::fabs(want)))
                << likelihood.name() << " block at " << at.offset << " (" << i << "," << j << "),(" << i2 << "," << j2 << ")";
          }
  }
  EXPECT_EQ(covered, b->model.flat_size());  // every weight and bias is in a block
}

TEST(mlp_kronecker_factors, on_one_row_they_are_the_gauss_newton_matrix_bernoulli) {
  expect_factors_are_the_ggn(*make_likelihood("bernoulli"));
}

TEST(mlp_kronecker_factors, on_one_row_they_are_the_gauss_newton_matrix_categorical) {
  expect_factors_are_the_ggn(*make_likelihood("categorical", {{"classes", 3}}));
}

TEST(mlp_kronecker_factors, kron_laplace_of_a_linear_gaussian_network_is_the_full_laplace) {
  // No hidden layer and a normal likelihood: the Hessian over the weights is X^T X / sigma^2
  // plus the prior's precision, exactly A (x) G with G = 1 / sigma^2.
  const int64_t N = 40;
  Tensor x(DType::f64, {N, 2}), y(DType::f64, {N});
  for (int64_t n = 0; n < N; ++n) {
    const double a = std::sin(0.7 * n), c = std::cos(1.3 * n);
    x.set(2 * n, a);
    x.set(2 * n + 1, c);
    y.set(n, 0.8 * a - 0.5 * c + 0.3 + 0.2 * std::sin(5.1 * n));
  }
  auto likelihood = make_likelihood("normal");
  auto b = build(*likelihood, x, y, {.hidden = {}, .bias = true, .init_seed = 3});
  LaplaceOptions lo;
  lo.subset = b->net.weight_names;
  lo.tuned_prior = b->net.weight_names;
  LaplaceFit full = fit_laplace(b->model, lo);
  lo.hessian = "kron";
  lo.kronecker_factors = [&](std::span<const double> z) {
    return mlp_kronecker_factors(b->model, b->net, b->options, *likelihood, z);
  };
  LaplaceFit kron = fit_laplace(b->model, lo);
  EXPECT_EQ(kron.q->kind(), "kron:0x3x1");  // the weights and the bias as one block [2 + 1, 1]
  EXPECT_EQ(kron.kronecker_blocks, 1);
  EXPECT_EQ(kron.gradient_evaluations, 0);  // sigma is outside the subset: no differences
  EXPECT_NEAR(kron.prior_precision, full.prior_precision, 1e-4 * full.prior_precision);
  EXPECT_NEAR(kron.log_evidence, full.log_evidence, 1e-5 * std::fabs(full.log_evidence));
  const Tensor cf = full.q->cov(), ck = kron.q->cov();
  const int64_t D = b->model.flat_size();
  for (int64_t i = 0; i < 3; ++i)  // the weights and the bias (sigma is outside the subset)
    for (int64_t j = 0; j < 3; ++j) EXPECT_NEAR(ck[i * D + j], cf[i * D + j], 1e-5 * std::sqrt(cf[i * D + i] * cf[j * D + j]));
  // A point drawn from both: the same density.
  std::vector<double> z = full.q->mean();
  for (int64_t i = 0; i < 3; ++i) z[i] += 0.1 * (i + 1) * std::sqrt(cf[i * D + i]);
  EXPECT_NEAR(kron.q->log_density(z.data()), full.q->log_density(z.data()), 1e-4);
}

TEST(mlp_kronecker_factors, a_float32_model_is_refused) {
  Model model(DType::f32);
  const Tensor x(DType::f32, {2, 2}, {1, 2, 3, 4});
  const Tensor y(DType::f32, {2}, {0, 1});
  auto likelihood = make_likelihood("bernoulli");
  Mlp net = build_mlp(model, model.data("x", x), model.data("y", y), {.hidden = {2}}, *likelihood);
  const std::vector<double> z(static_cast<size_t>(model.flat_size()), 0.1);
  EXPECT_THROW_MSG(mlp_kronecker_factors(model, net, {.hidden = {2}}, *likelihood, z), InvalidArgument, "float32");
}

}  // namespace
}  // namespace elbo
