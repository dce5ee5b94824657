#include "elbo/vi/empirical.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"

namespace elbo {

Empirical::Empirical(std::span<const double> mu, int64_t particles, double jitter, uint64_t seed)
    : d_(static_cast<int64_t>(mu.size())), n_(particles) {
  if (d_ < 1) throw InvalidArgument("Empirical: the model has no free parameters");
  if (particles < 2)
    throw InvalidArgument("Empirical: argument 'particles' is " + std::to_string(particles) + ", but must be >= 2");
  if (!(jitter >= 0) || !std::isfinite(jitter))
    throw InvalidArgument("Empirical: argument 'jitter' is " + std::to_string(jitter) + ", but must be >= 0");
  if (particles > std::numeric_limits<int64_t>::max() / d_)
    throw InvalidArgument("Empirical: argument 'particles' is " + std::to_string(particles) + ": " +
                          std::to_string(particles) + " x " + std::to_string(d_) + " values do not fit");
  x_.resize(static_cast<size_t>(n_ * d_));
  Philox(seed).normal(x_.data(), n_ * d_, 0, 0);
  for (int64_t p = 0; p < n_; ++p)
    for (int64_t i = 0; i < d_; ++i) x_[p * d_ + i] = mu[i] + jitter * x_[p * d_ + i];
}

std::string Empirical::kind() const { return "empirical:" + std::to_string(n_); }

std::string Empirical::param_name(int64_t i) const {
  return "x[" + std::to_string(i / d_) + "," + std::to_string(i % d_) + "]";
}

void Empirical::sample_z(const double* eps, double* z, int64_t S) const {
  for (int64_t s = 0; s < S; ++s) {
    const double u = 0.5 * std::erfc(-eps[s] / std::sqrt(2.0));  // the normal CDF
    double at = u * static_cast<double>(n_);
    at = at >= 0 ? std::min(at, static_cast<double>(n_ - 1)) : 0.0;  // NaN -> 0, before the cast
    const auto p = static_cast<int64_t>(at);
    std::copy(x_.begin() + p * d_, x_.begin() + (p + 1) * d_, z + s * d_);
  }
}

double Empirical::logq_from_eps(const double*) const {
  throw InvalidArgument("Empirical: particles have no density (log q); SVGD moves them along the Stein direction");
}

void Empirical::backward(const double*, const double*, const double*, int64_t, double, double*) const {
  throw InvalidArgument("Empirical: particles have no density, so no gradient of an ELBO or Renyi bound; fit them "
                        "with SVGD (the ksd objective)");
}

double Empirical::entropy() const { return NAN; }

std::vector<double> Empirical::mean() const {
  std::vector<double> m(static_cast<size_t>(d_), 0.0);
  for (int64_t p = 0; p < n_; ++p)
    for (int64_t i = 0; i < d_; ++i) m[i] += x_[p * d_ + i];
  for (double& v : m) v /= static_cast<double>(n_);
  return m;
}

std::vector<double> Empirical::sd() const {
  const std::vector<double> m = mean();
  std::vector<double> v(static_cast<size_t>(d_), 0.0);
  for (int64_t p = 0; p < n_; ++p)
    for (int64_t i = 0; i < d_; ++i) v[i] += (x_[p * d_ + i] - m[i]) * (x_[p * d_ + i] - m[i]);
  for (double& x : v) x = std::sqrt(x / static_cast<double>(n_ - 1));
  return v;
}

Tensor Empirical::cov() const {
  const std::vector<double> m = mean();
  Tensor c(DType::f64, {d_, d_});
  for (int64_t i = 0; i < d_; ++i)
    for (int64_t j = 0; j < d_; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < n_; ++p) acc += (x_[p * d_ + i] - m[i]) * (x_[p * d_ + j] - m[j]);
      c.set(i * d_ + j, acc / static_cast<double>(n_ - 1));
    }
  return c;
}

}  // namespace elbo
