#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "sampling_impl.hpp"

namespace elbo::detail {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

UniformStream::UniformStream(const Philox& rng, uint64_t stream, uint64_t counter, int64_t expected)
    : rng_(rng), stream_(stream), counter_(counter) {
  buf_.resize(static_cast<size_t>(std::max<int64_t>(expected, 64)));
  rng_.uniform(buf_.data(), static_cast<int64_t>(buf_.size()), stream_, counter_);
}

// Philox's uniforms are a pure function of the position, so regenerating a buffer twice
// as long keeps the values already used; the doubling keeps the total work linear.
void UniformStream::grow() {
  buf_.resize(buf_.size() * 2);
  rng_.uniform(buf_.data(), static_cast<int64_t>(buf_.size()), stream_, counter_);
}

double UniformStream::next() {
  if (pos_ == buf_.size()) grow();
  return buf_[pos_++];
}

double UniformStream::normal() {
  double u1 = next(), u2 = next();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double log_gamma_draw(double a, UniformStream& s) {
  if (!(a > 0.0 && a < kInf)) return std::nan("");  // a bad shape must not loop forever
  // a < 1: G(a) = G(a + 1) U^(1/a) (Marsaglia and Tsang, section 6).
  double log_boost = 0.0;
  if (a < 1.0) {
    log_boost = std::log(s.next()) / a;
    a += 1.0;
  }
  const double d = a - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = s.normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    double u = s.next();
    double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2 || std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v)))
      return std::log(d * v) + log_boost;
  }
}

double beta_draw(double a, double b, UniformStream& s) {
  double lx = log_gamma_draw(a, s), ly = log_gamma_draw(b, s);
  // X / (X + Y) = 1 / (1 + exp(log Y - log X)), without forming X or Y.
  return 1.0 / (1.0 + std::exp(ly - lx));
}

namespace {
// Inversion by sequential search from 0, for n p <= 30 with p <= 1/2: P(0) = (1-p)^n is
// then above exp(-42), so the recursion P(k+1) = P(k) (n-k)/(k+1) p/(1-p) never underflows.
double binomial_inversion(double n, double p, UniformStream& s) {
  bool flip = p > 0.5;
  if (flip) p = 1.0 - p;
  double q = 1.0 - p, r = p / q;
  double f = std::exp(n * std::log1p(-p));
  double u = s.next(), k = 0.0;
  while (u > f && k < n) {
    u -= f;
    k += 1.0;
    f *= r * (n - k + 1.0) / k;
  }
  return flip ? n - k : k;
}
}  // namespace

double binomial_draw(double n, double p, UniformStream& s) {
  if (!(n >= 0.0 && n < kInf && p >= 0.0 && p <= 1.0)) return std::nan("");
  if (n <= 0.0 || p <= 0.0) return 0.0;
  if (p >= 1.0) return n;
  // Knuth: the a-th smallest of n uniforms is X ~ Beta(a, n + 1 - a). If X >= p, the
  // uniforms below p are among the a - 1 below X, uniform on (0, X); else a of them are,
  // plus those among the n - a above X, uniform on (X, 1). Each step halves n.
  double k = 0.0;
  while (std::min(p, 1.0 - p) * n > 30.0) {
    double a = 1.0 + std::floor(n / 2.0), b = n + 1.0 - a;
    double x = beta_draw(a, b, s);
    if (x >= p) {
      n = a - 1.0;
      p /= x;
    } else {
      k += a;
      n = b - 1.0;
      p = (p - x) / (1.0 - x);
    }
  }
  return k + binomial_inversion(n, std::clamp(p, 0.0, 1.0), s);
}

double poisson_draw(double mu, UniformStream& s) {
  if (!(mu >= 0.0 && mu < kInf)) return std::nan("");
  if (mu <= 0.0) return 0.0;
  if (mu < 10.0) {
    // Knuth: the number of uniforms whose running product stays above exp(-mu).
    double limit = std::exp(-mu), prod = s.next(), k = 0.0;
    while (prod > limit) {
      prod *= s.next();
      k += 1.0;
    }
    return k;
  }
  // PTRS: transformed rejection with squeeze (Hormann 1993), NumPy's random_poisson_ptrs.
  const double slam = std::sqrt(mu), loglam = std::log(mu);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    double u = s.next() - 0.5, v = s.next();
    double us = 0.5 - std::abs(u);
    double k = std::floor((2.0 * a / us + b) * u + mu + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <=
        -mu + k * loglam - std::lgamma(k + 1.0))
      return k;
  }
}

}  // namespace elbo::detail
