#include "elbo/vi/full_rank.hpp"

#include "elbo/graph/error.hpp"
#include "softplus.hpp"

namespace elbo {

using detail::kHalfLog2Pi;
using detail::sigmoid;
using detail::softplus;

FullRank::FullRank(std::span<const double> mu) : d_(static_cast<int64_t>(mu.size())) {
  params_.assign(static_cast<size_t>(d_ + d_ * (d_ + 1) / 2), 0.0);
  std::copy(mu.begin(), mu.end(), params_.begin());
  for (int64_t i = 0; i < d_; ++i) params_[tri(i, i)] = detail::softplus_inverse(1.0);
  v_.resize(static_cast<size_t>(d_));
}

void FullRank::set_cholesky(int64_t i, int64_t j, double value) {
  if (i < 0 || i >= d_ || j < 0 || j > i)
    throw InvalidArgument("FullRank::set_cholesky: (" + std::to_string(i) + ", " + std::to_string(j) +
                          ") is not in the lower triangle of a " + std::to_string(d_) + " x " + std::to_string(d_) + " L");
  if (i == j && !(value > 0 && std::isfinite(value)))
    throw InvalidArgument("FullRank::set_cholesky: the diagonal entry (" + std::to_string(i) + ", " + std::to_string(i) +
                          ") is " + std::to_string(value) + ", but must be positive and finite");
  params_[tri(i, j)] = i == j ? detail::softplus_inverse(value) : value;
}

double FullRank::l(int64_t i, int64_t j) const {
  double r = params_[tri(i, j)];
  return i == j ? softplus(r) : r;
}

std::string FullRank::param_name(int64_t i) const {
  if (i < d_) return "mu[" + std::to_string(i) + "]";
  int64_t k = i - d_, r = 0;
  while ((r + 1) * (r + 2) / 2 <= k) ++r;
  return "L[" + std::to_string(r) + "," + std::to_string(k - r * (r + 1) / 2) + "]";
}

int64_t FullRank::coordinate(int64_t i) const {
  if (i < d_) return i;
  int64_t k = i - d_, r = 0;
  while ((r + 1) * (r + 2) / 2 <= k) ++r;
  return r;
}

void FullRank::sample_z(const double* eps, double* z, int64_t S) const {
  for (int64_t s = 0; s < S; ++s)
    for (int64_t i = 0; i < d_; ++i) {
      double acc = params_[i];
      for (int64_t j = 0; j <= i; ++j) acc += l(i, j) * eps[s * d_ + j];
      z[s * d_ + i] = acc;
    }
}

double FullRank::logq_from_eps(const double* eps) const {
  double lq = 0;
  for (int64_t i = 0; i < d_; ++i) lq += -0.5 * eps[i] * eps[i] - std::log(l(i, i)) - kHalfLog2Pi;
  return lq;
}

double FullRank::log_density(const double* z) const {
  // eps = L^-1 (z - mu) by forward substitution.
  std::vector<double> e(static_cast<size_t>(d_));
  double lq = 0;
  for (int64_t i = 0; i < d_; ++i) {
    double acc = z[i] - params_[i];
    for (int64_t k = 0; k < i; ++k) acc -= l(i, k) * e[k];
    e[i] = acc / l(i, i);
    lq += -0.5 * e[i] * e[i] - std::log(l(i, i)) - kHalfLog2Pi;
  }
  return lq;
}

// With v = L^-T eps:  d logq/dmu = (scale - 1) v;
// d logq/dL_ij = -v_i eps_j + scale (v_i eps_j - [i == j] / L_ii)   (i >= j).
void FullRank::gradient(const double* eps, const double* g, int64_t S, double scale, double c, double beta,
                        double* grad) const {
  double w = 1.0 / (static_cast<double>(S) * c);
  std::fill(grad, grad + params_.size(), 0.0);
  for (int64_t s = 0; s < S; ++s) {
    const double* e = eps + s * d_;
    const double* gz = g + s * d_;
    for (int64_t i = d_ - 1; i >= 0; --i) {  // back substitution: L^T v = e
      double acc = e[i];
      for (int64_t k = i + 1; k < d_; ++k) acc -= l(k, i) * v_[k];
      v_[i] = acc / l(i, i);
    }
    for (int64_t i = 0; i < d_; ++i) {
      grad[i] += -gz[i] + beta * (scale - 1.0) * v_[i];
      for (int64_t j = 0; j <= i; ++j) {
        double d = -gz[i] * e[j] + beta * (-v_[i] * e[j] + scale * (v_[i] * e[j] - (i == j ? 1.0 / l(i, i) : 0.0)));
        grad[tri(i, j)] += d;
      }
    }
  }
  for (size_t k = 0; k < params_.size(); ++k) grad[k] *= w;
  for (int64_t i = 0; i < d_; ++i) grad[tri(i, i)] *= sigmoid(params_[tri(i, i)]);
}

// The general form: dz and dlogq per draw (see Approximation::backward), with the same
// derivatives as gradient() above.
void FullRank::backward(const double* eps, const double* dz, const double* dlogq, int64_t S, double scale,
                        double* grad) const {
  std::fill(grad, grad + params_.size(), 0.0);
  for (int64_t s = 0; s < S; ++s) {
    const double* e = eps + s * d_;
    const double* gz = dz + s * d_;
    const double a = dlogq[s];
    for (int64_t i = d_ - 1; i >= 0; --i) {  // back substitution: L^T v = e
      double acc = e[i];
      for (int64_t k = i + 1; k < d_; ++k) acc -= l(k, i) * v_[k];
      v_[i] = acc / l(i, i);
    }
    for (int64_t i = 0; i < d_; ++i) {
      grad[i] += gz[i] + a * (scale - 1.0) * v_[i];
      for (int64_t j = 0; j <= i; ++j)
        grad[tri(i, j)] +=
            gz[i] * e[j] + a * (-v_[i] * e[j] + scale * (v_[i] * e[j] - (i == j ? 1.0 / l(i, i) : 0.0)));
    }
  }
  for (int64_t i = 0; i < d_; ++i) grad[tri(i, i)] *= sigmoid(params_[tri(i, i)]);
}

double FullRank::entropy() const {
  double h = 0;
  for (int64_t i = 0; i < d_; ++i) h += std::log(l(i, i)) + 0.5 + kHalfLog2Pi;
  return h;
}

std::vector<double> FullRank::mean() const { return {params_.begin(), params_.begin() + d_}; }

std::vector<double> FullRank::cholesky() const {
  std::vector<double> L(static_cast<size_t>(d_ * d_), 0.0);
  for (int64_t i = 0; i < d_; ++i)
    for (int64_t j = 0; j <= i; ++j) L[i * d_ + j] = l(i, j);
  return L;
}

Tensor FullRank::cov() const {
  Tensor c(DType::f64, {d_, d_});
  for (int64_t i = 0; i < d_; ++i)
    for (int64_t j = 0; j < d_; ++j) {
      double acc = 0;
      for (int64_t k = 0; k <= std::min(i, j); ++k) acc += l(i, k) * l(j, k);
      c.set(i * d_ + j, acc);
    }
  return c;
}

std::vector<double> FullRank::sd() const {
  Tensor c = cov();
  std::vector<double> s(static_cast<size_t>(d_));
  for (int64_t i = 0; i < d_; ++i) s[i] = std::sqrt(c[i * d_ + i]);
  return s;
}

}  // namespace elbo

namespace elbo {

void FullRank::linear_variance(const double* j, int64_t n, double* out) const {
  // ||L^T j||^2: (L^T j)_k = sum_{i >= k} L(i, k) j_i.
  const std::vector<double> L = cholesky();
  std::vector<double> t(static_cast<size_t>(d_));
  for (int64_t r = 0; r < n; ++r) {
    const double* row = j + r * d_;
    std::fill(t.begin(), t.end(), 0.0);
    for (int64_t i = 0; i < d_; ++i) {
      const double ji = row[i];
      if (ji == 0) continue;
      const double* li = L.data() + i * d_;
      for (int64_t k = 0; k <= i; ++k) t[k] += li[k] * ji;
    }
    double acc = 0;
    for (double v : t) acc += v * v;
    out[r] = acc;
  }
}

}  // namespace elbo
