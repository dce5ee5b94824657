// mean_field_adam_step.hpp. Compiled with -ffp-contract=off and -fno-math-errno, as
// mean_field.cpp and optimizers.cpp, whose operations it repeats (CMakeLists.txt).
#include "mean_field_adam_step.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "chunked_sums.hpp"
#include "elbo/vi/mean_field.hpp"
#include "softplus.hpp"
#include "softplus_kernel.hpp"

namespace elbo {

namespace {
constexpr int64_t kChunk = MeanField::kTermsChunk;
constexpr int64_t kTermsBlock = 64;  // softplus_blocks_f32's block
constexpr int64_t kPiece = 512;      // the noise and sigma of a piece stay in L1
// Beyond this bound on |gradient| (far below overflow) the step takes the general path.
constexpr double kSafeGradient = 1e300;
}  // namespace

MeanFieldAdamStep::MeanFieldAdamStep(int64_t d, ParallelFor chunks, ParallelFor elements)
    : d_(d),
      chunks_((d + kChunk - 1) / kChunk),
      body_(d - d % kTermsBlock),
      chunk_parallel_(std::move(chunks)),
      element_parallel_(std::move(elements)),
      eps_(static_cast<size_t>(d)),
      inv_sigma_(static_cast<size_t>(body_)),
      dsigma_(static_cast<size_t>(body_)),
      tail_inv_sigma_(static_cast<size_t>(d - body_)),
      tail_dsigma_(static_cast<size_t>(d - body_)) {
  for (auto* v : {&log_sigma_, &squares_, &max_inv_sigma_, &max_abs_eps_, &max_abs_g_})
    v->assign(static_cast<size_t>(std::max<int64_t>(chunks_, 1)), 0.0);
  ok_.assign(static_cast<size_t>(std::max<int64_t>(chunks_, 1)), 1);
}

bool MeanFieldAdamStep::draw(std::span<const double> params, const Philox& rng, uint64_t stream, uint64_t t,
                             float* z32, double* logq) {
  const double* mu = params.data();
  const double* rho = params.data() + d_;
  auto run = [&](int64_t c0, int64_t c1) {
    alignas(64) float sigma[kPiece];
    double tail_sigma[kTermsBlock];
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t chunk_end = std::min(d_, (c + 1) * kChunk);
      double log_sigma = 0, max_inv = 0;
      float max_eps = 0;
      detail::SquareLanes lanes;
      bool ok = true;
      for (int64_t i = c * kChunk; i < chunk_end && ok; i += kPiece) {
        const int64_t j = std::min(i + kPiece, chunk_end), body_end = std::min(j, body_);
        float* eps = eps_.data() + i;
        rng.normal(eps, j - i, stream, t, i);
        if (body_end > i) {
          ok = detail::softplus_blocks_f32(rho + i, body_end - i,
                                           {sigma, inv_sigma_.data() + i, dsigma_.data() + i}, log_sigma);
          if (!ok) break;
          const float* inv = inv_sigma_.data() + i;
          float m = 0;
          for (int64_t k = 0; k < body_end - i; ++k) m = std::max(m, inv[k]);
          max_inv = std::max(max_inv, static_cast<double>(m));
          for (int64_t k = i; k < body_end; ++k)
            z32[k] = static_cast<float>(mu[k] + static_cast<double>(sigma[k - i]) * static_cast<double>(eps[k - i]));
        }
        if (j > body_) {  // the last d % 64: softplus_terms's double path, as MeanField's
          const int64_t n = j - body_;
          log_sigma = log_sigma + detail::softplus_terms(detail::Precision::single, rho + body_, n,
                                                         {tail_sigma, tail_inv_sigma_.data(), tail_dsigma_.data()});
          for (int64_t k = 0; k < n; ++k) {
            ok = ok && std::isfinite(tail_inv_sigma_[k]) && std::isfinite(tail_dsigma_[k]);
            max_inv = std::max(max_inv, tail_inv_sigma_[k]);
            z32[body_ + k] = static_cast<float>(mu[body_ + k] + tail_sigma[k] * static_cast<double>(eps[body_ + k - i]));
          }
        }
        for (int64_t k = 0; k < j - i; ++k) max_eps = std::max(max_eps, std::abs(eps[k]));
        lanes.add(eps, j - i);
      }
      ok_[c] = ok;
      log_sigma_[c] = log_sigma;
      squares_[c] = lanes.total();
      max_inv_sigma_[c] = max_inv;
      max_abs_eps_[c] = max_eps;
    }
  };
  chunk_parallel_(chunks_, std::ref(run));
  for (int64_t c = 0; c < chunks_; ++c)
    if (!ok_[c]) return false;
  const double squares = detail::sum_of_chunks(squares_.data(), chunks_);
  const double log_sigma = detail::sum_of_chunks(log_sigma_.data(), chunks_);
  *logq = -0.5 * squares - log_sigma - static_cast<double>(d_) * detail::kHalfLog2Pi;
  return true;
}

bool MeanFieldAdamStep::gradient_is_finite(const float* g32, double w, double beta, double scale) {
  auto run = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b = c * kChunk, e = std::min(d_, b + kChunk);
      float m = 0;
      bool finite = true;
      for (int64_t k = b; k < e; ++k) {
        const float a = std::abs(g32[k]);
        finite = finite && a <= std::numeric_limits<float>::max();  // false for NaN too
        m = std::max(m, a);
      }
      ok_[c] = finite;
      max_abs_g_[c] = m;
    }
  };
  chunk_parallel_(chunks_, std::ref(run));
  double g = 0, inv = 0, eps = 0;
  for (int64_t c = 0; c < chunks_; ++c) {
    if (!ok_[c]) return false;
    g = std::max(g, max_abs_g_[c]);
    inv = std::max(inv, max_inv_sigma_[c]);
    eps = std::max(eps, max_abs_eps_[c]);
  }
  // Every term of the gradient's expressions (update()) is at most these in magnitude;
  // dsigma = sigmoid(rho) <= 1.
  const double a = std::abs(beta * (scale - 1.0)), e2 = eps * eps;
  const double bound_mu = std::abs(w) * (g + a * eps * inv);
  const double bound_rho = std::abs(w) * (g * eps + std::abs(beta) * (e2 + std::abs(scale) * (e2 + 1.0)) * inv);
  return bound_mu < kSafeGradient && bound_rho < kSafeGradient;
}

namespace {
// One parameter's Adam update, the operations of Adam::update (optimizers.cpp).
inline void adam_update(double& p, double& m, double& v, double g, const Optimizer::AdamStep& s) {
  m = s.b1 * m + (1 - s.b1) * g;
  v = s.b2 * v + (1 - s.b2) * g * g;
  p -= s.a * m / (std::sqrt(v) + s.eps);
}
}  // namespace

bool MeanFieldAdamStep::update(std::span<double> params, const float* g32, double w, double beta, double scale,
                               const Optimizer::AdamStep& adam, double* backup) {
  const int64_t d = d_;
  // MeanField::gradient's one-draw expressions: a = beta (scale - 1).
  const double a = beta * (scale - 1.0);
  bool finite = true;
  auto run = [&](int64_t b, int64_t e) {
    double* __restrict mu = params.data();
    double* __restrict rho = params.data() + d;
    double* __restrict m = adam.m;
    double* __restrict v = adam.v;
    double* __restrict old = backup;
    const float* __restrict eps = eps_.data();
    const float* __restrict g = g32;
    bool part_finite = true;
    auto one = [&](int64_t k, double inv, double ds) {
      const double x = static_cast<double>(eps[k]), gz = static_cast<double>(g[k]);
      const double gmu = w * (0.0 + (-gz + a * x * inv));
      const double grho = w * (0.0 + (-gz * x + beta * (-x * x + scale * (x * x - 1.0)) * inv)) * ds;
      old[k] = mu[k];
      old[d + k] = rho[k];
      adam_update(mu[k], m[k], v[k], gmu, adam);
      adam_update(rho[k], m[d + k], v[d + k], grho, adam);
      part_finite = part_finite && std::isfinite(mu[k]) && std::isfinite(rho[k]);
    };
    const int64_t body_end = std::min(e, body_);
    const float* __restrict inv = inv_sigma_.data();
    const float* __restrict ds = dsigma_.data();
    for (int64_t k = b; k < body_end; ++k) one(k, static_cast<double>(inv[k]), static_cast<double>(ds[k]));
    for (int64_t k = std::max(b, body_); k < e; ++k) one(k, tail_inv_sigma_[k - body_], tail_dsigma_[k - body_]);
    if (!part_finite) finite = false;  // several threads may write false, none writes true
  };
  element_parallel_(d, std::ref(run));
  return finite;
}

}  // namespace elbo
