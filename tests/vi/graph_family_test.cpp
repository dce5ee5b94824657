// Families written as graph expressions (GraphFamily): the hand-derived fast paths against
// their graph forms, LowRank's density and gradients against closed forms and finite
// differences, and the cost_part_grad_scale split. Fixed seeds; tolerances at each check.
#include <gtest/gtest.h>

#include <cmath>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"
#include "elbo/vi.hpp"
#include "family_checks.hpp"
#include "regression_model.hpp"

namespace elbo {
namespace {

using testing::expect_close;
using testing::expect_same_family;
using testing::normals;

std::unique_ptr<FullRank> random_full_rank(int64_t D) {
  auto mu = normals(D, 4);
  auto q = std::make_unique<FullRank>(mu);
  auto r = normals(static_cast<int64_t>(q->params().size()), 5, 0.4);
  for (size_t i = static_cast<size_t>(D); i < q->params().size(); ++i) q->params()[i] = r[i];
  return q;
}

TEST(graph_family, mean_field_fast_path_matches_its_graph_form) {
  auto mu = normals(6, 6), sigma = normals(6, 7);
  for (double& s : sigma) s = 0.2 + std::abs(s);
  MeanField q(mu, sigma);
  expect_same_family(q, *graph_form(q), 3);
}

TEST(graph_family, full_rank_fast_path_matches_its_graph_form) {
  auto q = random_full_rank(5);
  expect_same_family(*q, *graph_form(*q), 3);
}

TEST(graph_family, the_kl_gradient_is_backward_with_the_kl_weights) {
  // gradient() is backward() with dz = -g / (S c), dlogq = beta / (S c): the fast paths'
  // own gradient() and the base class's (through backward) agree.
  const int64_t D = 4, S = 2;
  auto mu = normals(D, 8);
  MeanField mf(mu, 0.7);
  auto fr = random_full_rank(D);
  for (const Approximation* q : {static_cast<const Approximation*>(&mf), static_cast<const Approximation*>(fr.get())}) {
    auto eps = normals(S * D, 9), g = normals(S * D, 10);
    const double c = 3.0, beta = 0.8, scale = 0.25;
    const size_t P = q->params().size();
    std::vector<double> fast(P), general(P), dz(S * D), dlogq(S, beta / (S * c));
    q->gradient(eps.data(), g.data(), S, scale, c, beta, fast.data());
    for (int64_t i = 0; i < S * D; ++i) dz[i] = -g[i] / (S * c);
    q->backward(eps.data(), dz.data(), dlogq.data(), S, scale, general.data());
    for (size_t i = 0; i < P; ++i) expect_close(fast[i], general[i], 1e-13, q->kind() + " " + q->param_name(i));
  }
}

std::unique_ptr<LowRank> random_low_rank(int64_t D, int64_t K) {
  auto mu = normals(D, 11);
  auto q = std::make_unique<LowRank>(mu, K, 0.5);
  auto r = normals(D + D * K, 12, 0.5);
  for (int64_t i = 0; i < D + D * K; ++i) q->params()[D + i] = r[i];
  return q;
}

// log N(z; mu, Sigma) and Sigma^-1 (z - mu) by a dense Cholesky factor.
struct DenseGaussian {
  int64_t d;
  std::vector<double> mu, l;  // l: row-major lower factor of Sigma
  explicit DenseGaussian(const Approximation& q) : d(q.dim()), mu(q.mean()), l(d * d, 0.0) {
    Tensor c = q.cov();
    for (int64_t j = 0; j < d; ++j) {
      double s = c[j * d + j];
      for (int64_t p = 0; p < j; ++p) s -= l[j * d + p] * l[j * d + p];
      l[j * d + j] = std::sqrt(s);
      for (int64_t i = j + 1; i < d; ++i) {
        double t = c[i * d + j];
        for (int64_t p = 0; p < j; ++p) t -= l[i * d + p] * l[j * d + p];
        l[i * d + j] = t / l[j * d + j];
      }
    }
  }
  std::vector<double> whiten(const double* z) const {  // L^-1 (z - mu)
    std::vector<double> v(d);
    for (int64_t i = 0; i < d; ++i) {
      double s = z[i] - mu[i];
      for (int64_t p = 0; p < i; ++p) s -= l[i * d + p] * v[p];
      v[i] = s / l[i * d + i];
    }
    return v;
  }
  double logp(const double* z) const {
    auto v = whiten(z);
    double r = 0;
    for (int64_t i = 0; i < d; ++i) r += -0.5 * v[i] * v[i] - std::log(l[i * d + i]) - 0.91893853320467274178;
    return r;
  }
  std::vector<double> precision_times_residual(const double* z) const {  // L^-T L^-1 (z - mu)
    auto v = whiten(z);
    std::vector<double> x(d);
    for (int64_t i = d - 1; i >= 0; --i) {
      double s = v[i];
      for (int64_t p = i + 1; p < d; ++p) s -= l[p * d + i] * x[p];
      x[i] = s / l[i * d + i];
    }
    return x;
  }
};

TEST(low_rank, log_q_and_entropy_are_those_of_the_dense_gaussian) {
  const int64_t D = 5, K = 2, S = 4;
  auto q = random_low_rank(D, K);
  EXPECT_EQ(q->kind(), "lowrank:2");
  EXPECT_EQ(q->noise_dim(), D + K);
  DenseGaussian dense(*q);
  auto eps = normals(S * (D + K), 13);
  std::vector<double> z(S * D), lq(S);
  q->sample(eps.data(), z.data(), lq.data(), S);
  // Woodbury and the determinant lemma against a dense factor: rounding only, 1e-10.
  for (int64_t s = 0; s < S; ++s) expect_close(lq[s], dense.logp(z.data() + s * D), 1e-10, "logq");
  double h = 0;
  for (int64_t i = 0; i < D; ++i) h += std::log(dense.l[i * D + i]) + 0.5 + 0.91893853320467274178;
  expect_close(q->entropy(), h, 1e-10, "entropy");
  // sd() and cov() agree with each other (both closed forms).
  Tensor c = q->cov();
  for (int64_t i = 0; i < D; ++i) expect_close(q->sd()[i], std::sqrt(c[i * D + i]), 1e-12, "sd");
}

TEST(low_rank, the_draws_have_the_family_covariance) {
  // 20000 draws: the sample covariance's standard error is about |Sigma| sqrt(2/20000) =
  // 0.01 |Sigma|; 0.05 max(1, |Sigma_ij|) is five of those.
  const int64_t D = 3, K = 2, N = 20000;
  auto q = random_low_rank(D, K);
  auto eps = normals(N * (D + K), 14);
  std::vector<double> z(N * D);
  q->sample_z(eps.data(), z.data(), N);
  Tensor c = q->cov();
  auto mu = q->mean();
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j < D; ++j) {
      double acc = 0;
      for (int64_t n = 0; n < N; ++n) acc += (z[n * D + i] - mu[i]) * (z[n * D + j] - mu[j]);
      EXPECT_NEAR(acc / (N - 1), c[i * D + j], 0.05 * std::max(1.0, std::abs(c[i * D + j])));
    }
}

TEST(low_rank, gradients_match_finite_differences) {
  testing::expect_backward_matches_finite_differences(*random_low_rank(4, 2), 2, 15);
}

TEST(low_rank, sticking_the_landing_gradient_vanishes_when_q_is_the_target) {
  // Loss -log p(z) + log q(z) with p = q: with cost_part_grad_scale 0 only the part through
  // z remains, (grad log q - grad log p) dz/dparams = 0 for every draw (rounding: 1e-9).
  // With 1 the score part E[d log q / dparams] = 0 only on average, not per draw.
  const int64_t D = 4, K = 2, S = 3;
  auto q = random_low_rank(D, K);
  DenseGaussian p(*q);
  const int64_t E = q->noise_dim(), P = static_cast<int64_t>(q->params().size());
  auto eps = normals(S * E, 18);
  std::vector<double> z(S * D), dz(S * D), dlogq(S, 1.0), g0(P), g1(P);
  q->sample_z(eps.data(), z.data(), S);
  for (int64_t s = 0; s < S; ++s) {
    auto x = p.precision_times_residual(z.data() + s * D);  // -grad log p(z)
    for (int64_t i = 0; i < D; ++i) dz[s * D + i] = x[i];
  }
  q->backward(eps.data(), dz.data(), dlogq.data(), S, 0.0, g0.data());
  q->backward(eps.data(), dz.data(), dlogq.data(), S, 1.0, g1.data());
  double n1 = 0;
  for (int64_t i = 0; i < P; ++i) {
    EXPECT_NEAR(g0[i], 0.0, 1e-9) << q->param_name(i);
    n1 += g1[i] * g1[i];
  }
  EXPECT_GT(std::sqrt(n1), 0.1);
}

TEST(low_rank, rank_d_recovers_a_correlated_posterior_like_full_rank) {
  // As fullrank_advi's test (vi_test.cpp): the last 2000 iterates' moments averaged; 15 %
  // on variances and 0.1 on the correlation are several times the residual noise.
  testing::Regression r;
  LowRankADVI inf(r.m, {.seed = 4, .optimizer = {.name = "adam", .learning_rate = 0.01}, .rank = 2});
  inf.fit(8000, {.obj_n_mc = 4, .progressbar = false});
  testing::expect_regression_posterior(r, testing::averaged_moments(inf, 2000));
}

TEST(low_rank, bad_ranks_are_named) {
  std::vector<double> mu(3, 0.0);
  EXPECT_THROW(LowRank(mu, 0), InvalidArgument);
  EXPECT_THROW(LowRank(mu, 4), InvalidArgument);
  try {
    LowRank q(mu, 4);
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'rank'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace elbo
