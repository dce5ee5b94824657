#include "elbo/vi/low_rank.hpp"

#include <cmath>

#include "elbo/graph/error.hpp"
#include "elbo/graph/ops.hpp"
#include "softplus.hpp"

namespace elbo {

namespace {

using detail::kHalfLog2Pi;

std::vector<ParameterBlock> low_rank_blocks(std::span<const double> mu, int64_t rank, double start_sigma) {
  const auto d = static_cast<int64_t>(mu.size());
  if (d < 1) throw InvalidArgument("LowRank: the model has no free parameters");
  if (rank < 1 || rank > d)
    throw InvalidArgument("LowRank: argument 'rank' is " + std::to_string(rank) + ", but must be between 1 and " +
                          "the dimension " + std::to_string(d));
  if (start_sigma < 0 || !std::isfinite(start_sigma))
    throw InvalidArgument("LowRank: argument 'start_sigma' is " + std::to_string(start_sigma) +
                          ", but must be positive (or 0 for the default ln 2)");
  const double rho = start_sigma > 0 ? detail::softplus_inverse(start_sigma) : 0.0;
  return {{"mu", {d}, {mu.begin(), mu.end()}, true},
          {"rho", {d}, std::vector<double>(static_cast<size_t>(d), rho), true},
          {"W", {d, rank}, std::vector<double>(static_cast<size_t>(d * rank), 0.0), true}};
}

}  // namespace

LowRank::LowRank(std::span<const double> mu, int64_t rank, double start_sigma)
    : GraphFamily(static_cast<int64_t>(mu.size()), static_cast<int64_t>(mu.size()) + rank,
                  low_rank_blocks(mu, rank, start_sigma)),
      k_(rank) {}

std::string LowRank::kind() const { return "lowrank:" + std::to_string(k_); }

FamilyExpressions LowRank::build(Graph& g, Expr eps, std::span<const Expr> theta, std::span<const Expr> direct) const {
  const int64_t D = dim(), K = k_;
  Expr z = theta[0] + softplus(theta[1]) * slice(eps, 0, 0, D) + matmul(theta[2], slice(eps, 0, D, D + K));
  // log q(z) with Sigma = diag(s2) + W W^T, r = z - mu, C = I + W^T diag(1/s2) W = Lc Lc^T:
  //   r^T Sigma^-1 r = sum r^2 / s2 - |Lc^-1 W^T (r / s2)|^2,  log det Sigma = sum log s2 + 2 sum log diag Lc.
  Tensor eye(DType::f64, {K, K}), diag_index(DType::f64, {K});
  for (int64_t i = 0; i < K; ++i) {
    eye.set(i * K + i, 1.0);
    diag_index.set(i, static_cast<double>(i * K + i));
  }
  Expr inv_s2 = 1.0 / square(softplus(direct[1]));
  Expr w_scaled = direct[2] * reshape(inv_s2, {D, 1});
  Expr lc = cholesky(g.constant(eye) + matmul(transpose(direct[2]), w_scaled));
  Expr r = z - direct[0];
  Expr u = solve_lower(lc, matmul(transpose(w_scaled), r));
  Expr quad = sum(square(r) * inv_s2) - sum(square(u));
  Expr log_det = -sum(log(inv_s2)) + 2.0 * sum(log(gather_rows(reshape(lc, {K * K}), g.constant(diag_index))));
  Expr logq = -0.5 * quad - 0.5 * log_det - static_cast<double>(D) * kHalfLog2Pi;
  return {z, logq};
}

namespace {
struct LowRankView {
  int64_t d, k;
  std::span<const double> p;
  double mu(int64_t i) const { return p[i]; }
  double sigma(int64_t i) const { return detail::softplus(p[d + i]); }
  double w(int64_t i, int64_t j) const { return p[2 * d + i * k + j]; }
};
}  // namespace

double LowRank::entropy() const {
  const LowRankView v{dim(), k_, params()};
  // log det Sigma = sum log sigma^2 + log det C, C = I + W^T diag(1/sigma^2) W, by Cholesky.
  std::vector<double> c(static_cast<size_t>(k_ * k_), 0.0);
  for (int64_t a = 0; a < k_; ++a)
    for (int64_t b = 0; b <= a; ++b) {
      double s = a == b ? 1.0 : 0.0;
      for (int64_t i = 0; i < v.d; ++i) s += v.w(i, a) * v.w(i, b) / (v.sigma(i) * v.sigma(i));
      c[a * k_ + b] = s;
    }
  double log_det = 0;
  for (int64_t j = 0; j < k_; ++j) {
    double djj = c[j * k_ + j];
    for (int64_t p = 0; p < j; ++p) djj -= c[j * k_ + p] * c[j * k_ + p];
    const double ljj = std::sqrt(djj);
    c[j * k_ + j] = ljj;
    log_det += 2 * std::log(ljj);
    for (int64_t i = j + 1; i < k_; ++i) {
      double s = c[i * k_ + j];
      for (int64_t p = 0; p < j; ++p) s -= c[i * k_ + p] * c[j * k_ + p];
      c[i * k_ + j] = s / ljj;
    }
  }
  for (int64_t i = 0; i < v.d; ++i) log_det += 2 * std::log(v.sigma(i));
  return 0.5 * log_det + static_cast<double>(v.d) * (0.5 + kHalfLog2Pi);
}

std::vector<double> LowRank::mean() const { return {params().begin(), params().begin() + dim()}; }

std::vector<double> LowRank::sd() const {
  const LowRankView v{dim(), k_, params()};
  std::vector<double> s(static_cast<size_t>(v.d));
  for (int64_t i = 0; i < v.d; ++i) {
    double var = v.sigma(i) * v.sigma(i);
    for (int64_t j = 0; j < k_; ++j) var += v.w(i, j) * v.w(i, j);
    s[i] = std::sqrt(var);
  }
  return s;
}

Tensor LowRank::cov() const {
  const LowRankView v{dim(), k_, params()};
  Tensor c(DType::f64, {v.d, v.d});
  for (int64_t i = 0; i < v.d; ++i)
    for (int64_t j = 0; j < v.d; ++j) {
      double acc = i == j ? v.sigma(i) * v.sigma(i) : 0.0;
      for (int64_t a = 0; a < k_; ++a) acc += v.w(i, a) * v.w(j, a);
      c.set(i * v.d + j, acc);
    }
  return c;
}

}  // namespace elbo
