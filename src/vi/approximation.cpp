#include "elbo/vi/approximation.hpp"

#include "elbo/graph/error.hpp"

#include <vector>

namespace elbo {

void Approximation::sample(const double* eps, double* z, double* logq, int64_t S) const {
  sample_z(eps, z, S);
  const int64_t n = noise_dim();
  for (int64_t s = 0; s < S; ++s) logq[s] = logq_from_eps(eps + s * n);
}

void Approximation::linear_variance(const double*, int64_t, double*) const {
  throw InvalidArgument("the " + kind() + " approximation has no closed-form covariance for the variance of a linear "
                        "function (a Gaussian family has: meanfield, fullrank, kron)");
}

double Approximation::log_density(const double*) const {
  throw InvalidArgument("the " + kind() + " approximation has no closed-form density at a given point");
}

void Approximation::gradient(const double* eps, const double* dlogp_dz, int64_t S, double scale, double c,
                             double beta, double* grad) const {
  const double w = 1.0 / (static_cast<double>(S) * c);
  const size_t n = static_cast<size_t>(S * dim());
  // Per thread and kept between calls: the fit loop calls this every step.
  thread_local std::vector<double> dz, dlogq;
  dz.resize(n);
  dlogq.assign(static_cast<size_t>(S), beta * w);
  for (size_t i = 0; i < n; ++i) dz[i] = -w * dlogp_dz[i];
  backward(eps, dz.data(), dlogq.data(), S, scale, grad);
}

}  // namespace elbo
