#pragma once
// Full-rank Gaussian q(z) = N(mu, L L^T), L lower-triangular with softplus on its
// diagonal; it starts at the identity (PyMC's FullRank).
#include "elbo/export.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

class FullRank : public Approximation {
 public:
  /// params() = [mu (D), packed lower triangle of L row by row (D(D+1)/2), diagonal
  /// entries stored as softplus^-1].
  explicit FullRank(std::span<const double> mu);

  std::string kind() const override { return "fullrank"; }
  int64_t dim() const override { return d_; }
  std::span<double> params() override { return params_; }
  std::span<const double> params() const override { return params_; }
  std::string param_name(int64_t i) const override;
  int64_t coordinate(int64_t i) const override;
  void sample_z(const double* eps, double* z, int64_t S) const override;
  double logq_from_eps(const double* eps) const override;
  double log_density(const double* z) const override;
  void gradient(const double* eps, const double* dlogp_dz, int64_t S, double scale, double c, double beta,
                double* grad) const override;
  void backward(const double* eps, const double* dz, const double* dlogq, int64_t S, double scale,
                double* grad) const override;
  double entropy() const override;
  std::vector<double> mean() const override;
  std::vector<double> sd() const override;
  Tensor cov() const override;
  void linear_variance(const double* j, int64_t n, double* out) const override;
  std::unique_ptr<Approximation> clone() const override { return std::make_unique<FullRank>(*this); }

  /// L as a dense row-major [D, D] matrix.
  std::vector<double> cholesky() const;
  /// Sets L(i, j), j <= i (a diagonal entry must be positive; it is stored as
  /// softplus^-1): for methods that compute the factor themselves (Laplace, Pathfinder).
  void set_cholesky(int64_t i, int64_t j, double value);

 private:
  int64_t tri(int64_t i, int64_t j) const { return d_ + i * (i + 1) / 2 + j; }
  double l(int64_t i, int64_t j) const;
  int64_t d_;
  std::vector<double> params_;
  mutable std::vector<double> v_;  // scratch for L^-T eps
};

}  // namespace elbo
ELBO_API_END
