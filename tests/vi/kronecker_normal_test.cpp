// KroneckerNormal (elbo/vi/kronecker_normal.hpp): draws, density and moments against the
// dense Gaussian they describe, the registry's kind and the errors.
#include "elbo/vi/kronecker_normal.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <numbers>
#include <vector>

#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/vi/family_registry.hpp"
#include "elbo/vi/full_rank.hpp"
#include "elbo/vi/low_rank.hpp"
#include "elbo/vi/mean_field.hpp"

namespace elbo {
namespace {

using Matrix = Eigen::MatrixXd;

// An orthonormal n x n matrix from the QR factors of seeded normal draws, row-major.
std::vector<double> orthonormal(int64_t n, uint64_t stream) {
  const std::vector<double> draws = Philox(7).normal(DType::f64, {n, n}, 3, stream).to_vector();
  Matrix m = Eigen::Map<const Matrix>(draws.data(), n, n);
  Matrix q = Eigen::HouseholderQR<Matrix>(m).householderQ();
  std::vector<double> out(static_cast<size_t>(n * n));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < n; ++c) out[static_cast<size_t>(r * n + c)] = q(r, c);
  return out;
}

// 10 coordinates: coordinate 0 alone, a 3 x 2 block at 1, coordinate 7 alone, a 2 x 1 block at 8.
KroneckerNormal example() {
  std::vector<double> mu(10);
  for (int i = 0; i < 10; ++i) mu[i] = 0.3 * i - 1;
  KroneckerNormal q(mu, {{1, 3, 2}, {8, 2, 1}});
  for (int i = 0; i < 10; ++i) q.set_scale(i, 0.2 + 0.15 * i);
  q.set_factors(0, orthonormal(3, 1), orthonormal(2, 2));
  q.set_factors(1, orthonormal(2, 3), std::vector<double>{1.0});
  return q;
}

TEST(kronecker_normal, density_is_the_dense_gaussian_of_its_covariance) {
  const KroneckerNormal q = example();
  EXPECT_EQ(q.kind(), "kron:1x3x2,8x2x1");
  const Tensor cov = q.cov();
  Matrix c(10, 10);
  for (int r = 0; r < 10; ++r)
    for (int k = 0; k < 10; ++k) c(r, k) = cov[r * 10 + k];
  EXPECT_NEAR((c - c.transpose()).cwiseAbs().maxCoeff(), 0.0, 1e-14);
  // Independent coordinates and blocks: zero outside the blocks.
  EXPECT_EQ(c(0, 1), 0.0);
  EXPECT_EQ(c(7, 3), 0.0);
  EXPECT_EQ(c(8, 2), 0.0);
  const Eigen::LLT<Matrix> llt(c);
  ASSERT_EQ(llt.info(), Eigen::Success);
  const double logdet = 2 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
  const std::vector<double> mu = q.mean();
  std::vector<double> z(10);
  for (int i = 0; i < 10; ++i) z[i] = mu[i] + std::sin(1.7 * i + 0.3);
  Eigen::VectorXd d(10);
  for (int i = 0; i < 10; ++i) d(i) = z[i] - mu[i];
  const double want = -0.5 * d.dot(llt.solve(d)) - 0.5 * logdet - 5 * std::log(2 * std::numbers::pi);
  EXPECT_NEAR(q.log_density(z.data()), want, 1e-10);
  // The entropy of that Gaussian.
  EXPECT_NEAR(q.entropy(), 5 * (1 + std::log(2 * std::numbers::pi)) + 0.5 * logdet, 1e-10);
  // sd() is the diagonal's square root.
  const std::vector<double> sd = q.sd();
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(sd[i], std::sqrt(c(i, i)), 1e-12) << i;
}

TEST(kronecker_normal, draws_have_the_covariance_and_their_log_q) {
  const KroneckerNormal q = example();
  const int64_t S = 200000;
  const std::vector<double> eps = Philox(11).normal(DType::f64, {S, 10}, 0, 0).to_vector();
  std::vector<double> z(eps.size()), logq(static_cast<size_t>(S));
  q.sample(eps.data(), z.data(), logq.data(), S);
  for (int64_t s = 0; s < 5; ++s) EXPECT_NEAR(logq[s], q.log_density(z.data() + s * 10), 1e-10);
  const std::vector<double> mu = q.mean();
  const Tensor cov = q.cov();
  // Sample covariance against cov(): the sd of an entry's estimate is about
  // sqrt((c_rr c_kk + c_rk^2) / S) <= 4 * 1.6 / 447 ~ 0.015 here; 5 of those.
  for (int r = 0; r < 10; ++r)
    for (int k = 0; k <= r; ++k) {
      double sum = 0;
      for (int64_t s = 0; s < S; ++s) sum += (z[s * 10 + r] - mu[r]) * (z[s * 10 + k] - mu[k]);
      const double tol = 5 * std::sqrt((cov[r * 10 + r] * cov[k * 10 + k] + cov[r * 10 + k] * cov[r * 10 + k]) / S);
      EXPECT_NEAR(sum / S, cov[r * 10 + k], tol) << r << "," << k;
    }
}

TEST(kronecker_normal, the_registry_rebuilds_it_from_its_kind) {
  const KroneckerNormal q = example();
  EXPECT_TRUE(is_family_kind(q.kind()));
  EXPECT_EQ(family_param_count(q.kind(), 10), static_cast<int64_t>(q.params().size()));
  EXPECT_EQ(family_param_count(q.kind(), 9), -1);  // the last block ends past 9
  auto copy = make_family(q.kind(), q.mean());
  std::copy(q.params().begin(), q.params().end(), copy->params().begin());
  std::vector<double> z(10, 0.5);
  EXPECT_EQ(copy->log_density(z.data()), q.log_density(z.data()));
  EXPECT_EQ(q.param_name(0), "mu[0]");
  EXPECT_EQ(q.param_name(11), "s[1]");
  EXPECT_EQ(q.param_name(20 + 4), "QA0[1,1]");
  EXPECT_EQ(q.param_name(20 + 9 + 3), "QG0[1,1]");
  EXPECT_EQ(q.coordinate(13), 3);
  EXPECT_EQ(q.coordinate(25), -1);
}

TEST(kronecker_normal, bad_blocks_and_training_are_refused) {
  std::vector<double> mu(6, 0.0);
  EXPECT_THROW(KroneckerNormal(mu, {{0, 2, 2}, {3, 1, 2}}), InvalidArgument);  // overlap
  EXPECT_THROW(KroneckerNormal(mu, {{2, 3, 2}}), InvalidArgument);             // past the end
  EXPECT_THROW(KroneckerNormal::parse_blocks("0x2"), InvalidArgument);
  EXPECT_THROW(KroneckerNormal::parse_blocks("0x2x2,"), InvalidArgument);
  EXPECT_FALSE(is_family_kind("kron:0x2"));
  EXPECT_FALSE(is_family_kind("kron:0x2x-1"));
  const KroneckerNormal q(mu, {{0, 2, 3}});
  std::vector<double> eps(6, 0.1), dz(6, 1.0), grad(q.params().size());
  const double dlogq = 1;
  EXPECT_THROW(q.backward(eps.data(), dz.data(), &dlogq, 1, 1.0, grad.data()), InvalidArgument);
}

}  // namespace
}  // namespace elbo

namespace elbo {
namespace {

// j Sigma j^T from the dense covariance.
double quadratic(const Tensor& cov, const std::vector<double>& j) {
  const int64_t D = static_cast<int64_t>(j.size());
  double acc = 0;
  for (int64_t r = 0; r < D; ++r)
    for (int64_t c = 0; c < D; ++c) acc += j[r] * cov[r * D + c] * j[c];
  return acc;
}

TEST(linear_variance, is_j_sigma_j_for_each_gaussian_family) {
  const KroneckerNormal kron = example();
  std::vector<double> mu(10, 0.1);
  MeanField mf(mu, std::vector<double>{0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0});
  FullRank fr(mu);
  for (int64_t i = 0; i < 10; ++i)
    for (int64_t k = 0; k <= i; ++k) fr.set_cholesky(i, k, i == k ? 0.5 + 0.1 * i : 0.05 * (i - 2 * k));
  std::vector<double> j(30);
  for (size_t i = 0; i < j.size(); ++i) j[i] = std::cos(0.9 * static_cast<double>(i) + 0.2);
  for (const Approximation* q : {static_cast<const Approximation*>(&kron), static_cast<const Approximation*>(&mf),
                                 static_cast<const Approximation*>(&fr)}) {
    double out[3];
    q->linear_variance(j.data(), 3, out);
    const Tensor cov = q->cov();
    for (int r = 0; r < 3; ++r) {
      const std::vector<double> row(j.begin() + 10 * r, j.begin() + 10 * r + 10);
      const double want = quadratic(cov, row);
      EXPECT_NEAR(out[r], want, 1e-12 * (1 + want)) << q->kind() << " row " << r;
    }
  }
  // A family without a closed-form covariance says so.
  LowRank low(mu, 2);
  double out = 0;
  EXPECT_THROW(low.linear_variance(j.data(), 1, &out), InvalidArgument);
}

}  // namespace
}  // namespace elbo
