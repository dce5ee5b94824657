#pragma once
// A set of N particles (PyMC's Empirical: also what a trace is), the family of SVGD. Its
// variational parameters are the particles themselves, [N, D] row-major; SVGD moves them
// along the Stein direction (stein.hpp). A draw picks a particle uniformly: one standard
// normal per draw, mapped through its CDF to an index. Particles have no density, so
// log q, backward() and PSIS do not apply (has_density() is false).
#include <span>

#include "elbo/export.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

class Empirical final : public Approximation {
 public:
  /// N particles over mu.size() coordinates, each mu + jitter * N(0, 1) from a seeded
  /// stream (PyMC's Empirical.from_noise). N >= 2, jitter >= 0.
  Empirical(std::span<const double> mu, int64_t particles, double jitter, uint64_t seed);

  /// "empirical:N".
  std::string kind() const override;
  int64_t dim() const override { return d_; }
  int64_t noise_dim() const override { return 1; }
  int64_t particles() const { return n_; }
  std::span<double> params() override { return x_; }
  std::span<const double> params() const override { return x_; }
  /// "x[p,i]": coordinate i of particle p.
  std::string param_name(int64_t i) const override;
  int64_t coordinate(int64_t i) const override { return i % d_; }
  void sample_z(const double* eps, double* z, int64_t S) const override;
  /// Throw InvalidArgument: particles have no density.
  double logq_from_eps(const double* eps) const override;
  void backward(const double* eps, const double* dz, const double* dlogq, int64_t S, double scale,
                double* grad) const override;
  bool has_density() const override { return false; }
  /// NaN: particles have no density.
  double entropy() const override;
  /// The particles' mean, sd and covariance (divisor N - 1).
  std::vector<double> mean() const override;
  std::vector<double> sd() const override;
  Tensor cov() const override;
  std::unique_ptr<Approximation> clone() const override { return std::make_unique<Empirical>(*this); }

 private:
  int64_t d_, n_;
  std::vector<double> x_;
};

}  // namespace elbo
ELBO_API_END
