#include "elbo/vi/mean_field.hpp"

#include <algorithm>
#include <cstring>

#include "elbo/graph/error.hpp"
#include "chunked_sums.hpp"
#include "softplus.hpp"
#include "softplus_kernel.hpp"

namespace elbo {

using detail::kHalfLog2Pi;
using detail::softplus;

MeanField::MeanField(std::span<const double> mu, double start_sigma) : d_(static_cast<int64_t>(mu.size())) {
  if (start_sigma < 0 || !std::isfinite(start_sigma))
    throw InvalidArgument("MeanField: argument 'start_sigma' is " + std::to_string(start_sigma) +
                          ", but must be positive (or 0 for the default ln 2)");
  double rho = start_sigma > 0 ? detail::softplus_inverse(start_sigma) : 0.0;
  params_.assign(static_cast<size_t>(2 * d_), rho);
  std::copy(mu.begin(), mu.end(), params_.begin());
}

MeanField::MeanField(std::span<const double> mu, std::span<const double> sigma)
    : d_(static_cast<int64_t>(mu.size())) {
  if (sigma.size() != mu.size())
    throw InvalidArgument("MeanField: " + std::to_string(sigma.size()) + " sigmas for " +
                          std::to_string(mu.size()) + " means");
  params_.assign(static_cast<size_t>(2 * d_), 0.0);
  for (int64_t i = 0; i < d_; ++i) {
    if (!(sigma[i] > 0) || !std::isfinite(sigma[i]))
      throw InvalidArgument("MeanField: argument 'sigma' is " + std::to_string(sigma[i]) + " at index " +
                            std::to_string(i) + ", but must be positive");
    params_[i] = mu[i];
    params_[d_ + i] = detail::softplus_inverse(sigma[i]);
  }
}

std::span<double> MeanField::params() {
  settle();
  single_stale_ = true;  // the caller may write them
  return params_;
}

std::span<const double> MeanField::params() const {
  settle();
  return params_;
}

void MeanField::settle() const {
  if (!single_ahead_) return;
  single_ahead_ = single_.size() == params_.size();  // false in a moved-from object
  if (!single_ahead_) return;
  const int64_t n = 2 * d_;
  for_elements(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) params_[i] = static_cast<double>(single_[i]);
  });
  single_ahead_ = false;
}

std::span<const float> MeanField::single_params() {
  if (single_stale_) {
    settle();
    single_.resize(params_.size());
    const int64_t n = 2 * d_;
    for_elements(n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) single_[i] = static_cast<float>(params_[i]);
    });
    single_stale_ = false;
  }
  return single_;
}

void MeanField::swap_single_params(std::vector<float>& values) {
  if (values.size() != params_.size())
    throw ShapeError("MeanField::swap_single_params: argument 'values' has " + std::to_string(values.size()) +
                     " entries, but the approximation has " + std::to_string(params_.size()) + " parameters");
  single_.swap(values);
  single_ahead_ = true;
  single_stale_ = false;
}

void MeanField::refresh() const {
  settle();
  const double* rho = params_.data() + d_;
  // Bitwise (memcmp, which libc vectorises): three calls a step find rho unchanged.
  if (!rho_seen_.empty() && std::memcmp(rho, rho_seen_.data(), sizeof(double) * static_cast<size_t>(d_)) == 0) return;
  rho_seen_.assign(rho, rho + d_);
  sigma_.resize(static_cast<size_t>(d_));
  inv_sigma_.resize(static_cast<size_t>(d_));
  dsigma_.resize(static_cast<size_t>(d_));
  // In chunks of kTermsChunk parameters whose sums of log sigma are added in chunk order:
  // the chunks run on the lent threads, and the sum is the same for any thread count (a
  // model below one chunk sums exactly as one call).
  const auto precision = single_precision_terms_ ? detail::Precision::single : detail::Precision::double_;
  const int64_t chunks = (d_ + kTermsChunk - 1) / kTermsChunk;
  chunk_sums_.assign(static_cast<size_t>(std::max<int64_t>(chunks, 1)), 0.0);
  auto run = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b = c * kTermsChunk, n = std::min(kTermsChunk, d_ - b);
      chunk_sums_[c] = detail::softplus_terms(precision, rho + b, n, {sigma_.data() + b, inv_sigma_.data() + b, dsigma_.data() + b});
    }
  };
  if (parallel_ && chunks > 1)
    parallel_(chunks, std::ref(run));
  else
    run(0, chunks);
  log_sigma_sum_ = detail::sum_of_chunks(chunk_sums_.data(), chunks);
}

void MeanField::set_draw_dtype(DType dtype) {
  const bool single = dtype == DType::f32;
  if (single == single_precision_terms_) return;
  single_precision_terms_ = single;
  rho_seen_.clear();  // recompute the terms at the new precision
}

std::string MeanField::param_name(int64_t i) const {
  return i < d_ ? "mu[" + std::to_string(i) + "]" : "rho[" + std::to_string(i - d_) + "]";
}

void MeanField::sample_z(const double* eps, double* z, int64_t S) const {
  refresh();
  const double* mu = params_.data();
  for (int64_t s = 0; s < S; ++s)
    for (int64_t i = 0; i < d_; ++i) z[s * d_ + i] = mu[i] + sigma_[i] * eps[s * d_ + i];
}

// z and log q in one pass over the draws (the cached terms checked once).
void MeanField::sample(const double* eps, double* z, double* logq, int64_t S) const {
  refresh();
  const double* __restrict mu = params_.data();
  const double* __restrict sigma = sigma_.data();
  for (int64_t s = 0; s < S; ++s) {
    const double* __restrict es = eps + s * d_;
    double* __restrict zs = z + s * d_;
    if (d_ <= kTermsChunk) {  // z and the squares in one pass
      detail::SquareLanes lanes;
      int64_t i = 0;
      for (; i + 4 <= d_; i += 4)
        for (int j = 0; j < 4; ++j) {
          zs[i + j] = mu[i + j] + sigma[i + j] * es[i + j];
          lanes.part[j] += es[i + j] * es[i + j];
        }
      for (; i < d_; ++i) {
        zs[i] = mu[i] + sigma[i] * es[i];
        lanes.part[0] += es[i] * es[i];
      }
      logq[s] = -0.5 * lanes.total() - log_sigma_sum_ - static_cast<double>(d_) * kHalfLog2Pi;
      continue;
    }
    // On the lent threads: z elementwise, then log q as logq_from_eps sums it (same bits).
    for_elements(d_, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) zs[i] = mu[i] + sigma[i] * es[i];
    });
    logq[s] = logq_after_refresh(es);
  }
}

double MeanField::logq_from_eps(const double* eps) const {
  refresh();
  return logq_after_refresh(eps);
}

double MeanField::logq_after_refresh(const double* eps) const {
  // -1/2 sum eps^2 - sum log sigma - D log sqrt(2 pi), the first in four partial sums per
  // chunk (one running sum over the weights was a chain of dependent additions at every
  // step), in the order of chunked_sums.hpp.
  // (0 + t0 + t1 + ..., as detail::sum_of_chunks; one chunk's total as it is.)
  double squares = 0;
  for (int64_t b = 0; b < d_; b += kTermsChunk) {
    detail::SquareLanes lanes;
    lanes.add(eps + b, std::min(kTermsChunk, d_ - b));
    squares = d_ <= kTermsChunk ? lanes.total() : squares + lanes.total();
  }
  return -0.5 * squares - log_sigma_sum_ - static_cast<double>(d_) * kHalfLog2Pi;
}

// loss = (1/(S c)) sum_s [ -logp(z_s) + beta logq(z_s) ],  z = mu + sigma eps.
// d logq/dmu    = (scale - 1) eps / sigma
// d logq/dsigma = (-eps^2 + scale (eps^2 - 1)) / sigma       (through z, plus scale x direct)
void MeanField::gradient(const double* eps, const double* g, int64_t S, double scale, double c, double beta,
                         double* grad) const {
  refresh();
  const double w = 1.0 / (static_cast<double>(S) * c);
  // The draws outer and the weights inner, on local pointers: each weight's sums still run
  // over the draws in order, and the inner loop vectorises (a loop over the draws inside
  // the loop over the weights kept its counter on the stack and ran one weight at a time;
  // with obj_n_mc = 10 that serial part bounded the 2-thread step).
  const double* __restrict inv_sigma = inv_sigma_.data();
  const double* __restrict dsigma = dsigma_.data();
  double* __restrict gmu = grad;
  double* __restrict grho = grad + d_;
  const double a = beta * (scale - 1.0);
  if (S == 1) {  // one pass, the same operations in the same order as the loops below
    for_elements(d_, [&](int64_t b, int64_t end) {
      for (int64_t i = b; i < end; ++i) {
        const double e = eps[i], gz = g[i];
        gmu[i] = w * (0.0 + (-gz + a * e * inv_sigma[i]));
        grho[i] = w * (0.0 + (-gz * e + beta * (-e * e + scale * (e * e - 1.0)) * inv_sigma[i])) * dsigma[i];
      }
    });
    return;
  }
  for (int64_t i = 0; i < d_; ++i) gmu[i] = grho[i] = 0;
  for (int64_t s = 0; s < S; ++s) {
    const double* __restrict es = eps + s * d_;
    const double* __restrict gs = g + s * d_;
    for (int64_t i = 0; i < d_; ++i) {
      const double e = es[i], gz = gs[i];
      gmu[i] += -gz + a * e * inv_sigma[i];
      grho[i] += -gz * e + beta * (-e * e + scale * (e * e - 1.0)) * inv_sigma[i];
    }
  }
  for (int64_t i = 0; i < d_; ++i) {
    gmu[i] = w * gmu[i];
    grho[i] = w * grho[i] * dsigma[i];
  }
}

// The general form: dz and dlogq per draw (see Approximation::backward).
void MeanField::backward(const double* eps, const double* dz, const double* dlogq, int64_t S, double scale,
                         double* grad) const {
  refresh();
  const double* __restrict inv_sigma = inv_sigma_.data();
  const double* __restrict dsigma = dsigma_.data();
  double* __restrict gmu = grad;
  double* __restrict grho = grad + d_;
  for (int64_t i = 0; i < d_; ++i) gmu[i] = grho[i] = 0;
  for (int64_t s = 0; s < S; ++s) {
    const double* __restrict es = eps + s * d_;
    const double* __restrict ds = dz + s * d_;
    const double a = dlogq[s];
    for (int64_t i = 0; i < d_; ++i) {
      const double e = es[i];
      gmu[i] += ds[i] + a * (scale - 1.0) * e * inv_sigma[i];
      grho[i] += ds[i] * e + a * (-e * e + scale * (e * e - 1.0)) * inv_sigma[i];
    }
  }
  for (int64_t i = 0; i < d_; ++i) grho[i] *= dsigma[i];
}

double MeanField::log_density(const double* z) const {
  settle();
  double lq = 0;
  for (int64_t i = 0; i < d_; ++i) {
    const double s = softplus(params_[d_ + i]), e = (z[i] - params_[i]) / s;
    lq += -0.5 * e * e - std::log(s) - kHalfLog2Pi;
  }
  return lq;
}

double MeanField::entropy() const {
  settle();
  double h = 0;
  for (int64_t i = 0; i < d_; ++i) h += std::log(softplus(params_[d_ + i])) + 0.5 + kHalfLog2Pi;
  return h;
}

std::vector<double> MeanField::mean() const {
  settle();
  return {params_.begin(), params_.begin() + d_};
}

std::vector<double> MeanField::sd() const {
  settle();
  std::vector<double> s(static_cast<size_t>(d_));
  for (int64_t i = 0; i < d_; ++i) s[i] = softplus(params_[d_ + i]);
  return s;
}

Tensor MeanField::cov() const {
  settle();
  Tensor c(DType::f64, {d_, d_});
  for (int64_t i = 0; i < d_; ++i) {
    double s = softplus(params_[d_ + i]);
    c.set(i * d_ + i, s * s);
  }
  return c;
}

}  // namespace elbo

namespace elbo {

void MeanField::linear_variance(const double* j, int64_t n, double* out) const {
  settle();
  std::vector<double> var(static_cast<size_t>(d_));
  for (int64_t i = 0; i < d_; ++i) {
    const double s = softplus(params_[d_ + i]);
    var[i] = s * s;
  }
  for (int64_t r = 0; r < n; ++r) {
    const double* row = j + r * d_;
    double acc = 0;
    for (int64_t i = 0; i < d_; ++i) acc += row[i] * row[i] * var[i];
    out[r] = acc;
  }
}

}  // namespace elbo
