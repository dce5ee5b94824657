// softplus_kernel.hpp. Compiled with -ffp-contract=off (CMakeLists.txt): the baseline and
// AVX2 copies do the same IEEE operations.
#include "softplus_kernel.hpp"

#include <cmath>

#include "graph/simd_math.hpp"
#include "softplus.hpp"

// The vector helpers are inlined: see simd_math.hpp on -Wpsabi.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace elbo::detail {
namespace {

using simd::F64x4;

// libm's forms (softplus.hpp), for the lanes the vector path does not cover.
void terms_scalar(const double* rho, int64_t i, int64_t end, const SoftplusTerms& out) {
  for (; i < end; ++i) {
    const auto [s, ds] = softplus_and_sigmoid(rho[i]);
    out.sigma[i] = s;
    out.inv_sigma[i] = 1.0 / s;
    out.log_sigma[i] = std::log(s);
    out.dsigma[i] = ds;
  }
}

// e = exp(-|x|) in (e^-708, 1]; softplus = max(x, 0) + log1p(e) >= log1p(e^-708) > 2^-1022,
// a normal number, so log_positive applies to it. Blocks of kBlock elements in one pass per
// function: short loop bodies let the processor overlap the iterations' long dependency
// chains (one loop doing everything ran at a third of the speed).
constexpr int64_t kBlock = 64;

ELBO_SIMD_INLINE void terms_loop(const double* rho, int64_t n, const SoftplusTerms& out) {
  alignas(32) double e[kBlock];
  int64_t i0 = 0;
  for (; i0 + kBlock <= n; i0 += kBlock) {
    bool all_ok = true;
    for (int64_t b = 0; b < kBlock; b += 4) {
      const F64x4 x = simd::load4(rho + i0 + b);
      const F64x4 ax = simd::select(x < 0.0, -x, x);
      const auto ok = ax <= 708.0;  // false for NaN too
      all_ok = all_ok && ok[0] && ok[1] && ok[2] && ok[3];
      simd::store4(e + b, simd::exp_bounded(simd::select(ok, -ax, F64x4{})));
    }
    for (int64_t b = 0; b < kBlock; b += 4) {
      const F64x4 x = simd::load4(rho + i0 + b), eb = simd::load4(e + b);
      const F64x4 inv_1pe = 1.0 / (eb + 1.0);
      simd::store4(out.sigma + i0 + b, simd::select(x > 0.0, x, F64x4{}) + simd::log1p_unit(eb));
      simd::store4(out.dsigma + i0 + b, simd::select(x >= 0.0, inv_1pe, eb * inv_1pe));
    }
    for (int64_t b = 0; b < kBlock; b += 4) {
      const F64x4 s = simd::load4(out.sigma + i0 + b);
      simd::store4(out.inv_sigma + i0 + b, 1.0 / s);
      simd::store4(out.log_sigma + i0 + b, simd::log_positive(s));
    }
    if (!all_ok) terms_scalar(rho, i0, i0 + kBlock, out);
  }
  terms_scalar(rho, i0, n, out);
}

void terms_baseline(const double* rho, int64_t n, const SoftplusTerms& out) { terms_loop(rho, n, out); }

// The same in single precision: rho rounded to float, the terms computed on eight lanes
// and widened. |x| <= 87 keeps exp(-|x|) and softplus normal floats; other lanes (and
// rho beyond float's range) take the double libm path.
ELBO_SIMD_INLINE void terms_loop_f32(const double* rho, int64_t n, const SoftplusTerms& out) {
  using simd::F32x8;
  alignas(32) float xf[kBlock], e[kBlock], s[kBlock], inv[kBlock], logs[kBlock], ds[kBlock];
  int64_t i0 = 0;
  for (; i0 + kBlock <= n; i0 += kBlock) {
    for (int64_t b = 0; b < kBlock; ++b) xf[b] = static_cast<float>(rho[i0 + b]);
    bool all_ok = true;
    for (int64_t b = 0; b < kBlock; b += 8) {
      const F32x8 x = simd::load8(xf + b);
      const F32x8 ax = simd::select(x < 0.0f, -x, x);
      const auto ok = ax <= 87.0f;  // false for NaN too
      for (int j = 0; j < 8; ++j) all_ok = all_ok && ok[j];
      simd::store8(e + b, simd::exp_bounded_f32(simd::select(ok, -ax, F32x8{})));
    }
    for (int64_t b = 0; b < kBlock; b += 8) {
      const F32x8 x = simd::load8(xf + b), eb = simd::load8(e + b);
      const F32x8 inv_1pe = 1.0f / (eb + 1.0f);
      simd::store8(s + b, simd::select(x > 0.0f, x, F32x8{}) + simd::log1p_unit_f32(eb));
      simd::store8(ds + b, simd::select(x >= 0.0f, inv_1pe, eb * inv_1pe));
    }
    for (int64_t b = 0; b < kBlock; b += 8) {
      const F32x8 sb = simd::load8(s + b);
      simd::store8(inv + b, 1.0f / sb);
      simd::store8(logs + b, simd::log_positive_f32(sb));
    }
    for (int64_t b = 0; b < kBlock; ++b) {
      out.sigma[i0 + b] = s[b];
      out.inv_sigma[i0 + b] = inv[b];
      out.log_sigma[i0 + b] = logs[b];
      out.dsigma[i0 + b] = ds[b];
    }
    if (!all_ok) terms_scalar(rho, i0, i0 + kBlock, out);
  }
  terms_scalar(rho, i0, n, out);
}

void terms_baseline_f32(const double* rho, int64_t n, const SoftplusTerms& out) { terms_loop_f32(rho, n, out); }



#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ELBO_SOFTPLUS_AVX2 1
__attribute__((target("avx2"))) void terms_avx2(const double* rho, int64_t n, const SoftplusTerms& out) {
  terms_loop(rho, n, out);
}
__attribute__((target("avx2"))) void terms_avx2_f32(const double* rho, int64_t n, const SoftplusTerms& out) {
  terms_loop_f32(rho, n, out);
}
#endif

}  // namespace

void softplus_terms(isa::Level level, Precision precision, const double* rho, int64_t n, const SoftplusTerms& out) {
  const bool single = precision == Precision::single;
#ifdef ELBO_SOFTPLUS_AVX2
  if (level == isa::Level::avx2) return single ? terms_avx2_f32(rho, n, out) : terms_avx2(rho, n, out);
#endif
  (void)level;
  single ? terms_baseline_f32(rho, n, out) : terms_baseline(rho, n, out);
}

void softplus_terms(Precision precision, const double* rho, int64_t n, const SoftplusTerms& out) {
  static const isa::Level level = isa::active();
  softplus_terms(level, precision, rho, n, out);
}

}  // namespace elbo::detail
