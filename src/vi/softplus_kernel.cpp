// softplus_kernel.hpp. Compiled with -ffp-contract=off (CMakeLists.txt): the baseline and
// AVX2 copies do the same IEEE operations.
#include "softplus_kernel.hpp"

#include <bit>
#include <cmath>
#include <type_traits>

#include "graph/simd_math.hpp"
#include "softplus.hpp"

// The vector helpers are inlined: see simd_math.hpp on -Wpsabi.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace elbo::detail {
namespace {

using simd::F32x8;
using simd::F64x4;

// Blocks of kBlock elements, one pass per function within a block: short loop bodies let
// the processor overlap the iterations' long chains of dependent operations (one loop
// doing everything ran at a third of the speed).
constexpr int64_t kBlock = 64;

// libm's forms (softplus.hpp), for the elements the vector path does not cover; returns
// their sum of log sigma.
double terms_scalar(const double* rho, int64_t i, int64_t end, const SoftplusTerms& out) {
  double log_sum = 0;
  for (; i < end; ++i) {
    const auto [s, ds] = softplus_and_sigmoid(rho[i]);
    out.sigma[i] = s;
    out.inv_sigma[i] = 1.0 / s;
    out.dsigma[i] = ds;
    log_sum += std::log(s);
  }
  return log_sum;
}

// Double precision. e = exp(-|x|) in (e^-708, 1]; softplus = max(x, 0) + log1p(e) >=
// log1p(e^-708) > 2^-1022, a normal number, so log_positive applies to it. The sum of log
// sigma in four lane sums over the whole array.
ELBO_SIMD_INLINE double terms_loop(const double* rho, int64_t n, const SoftplusTerms& out) {
  alignas(32) double e[kBlock];
  F64x4 lane_sums{};
  double other = 0;
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
    if (!all_ok) {
      other += terms_scalar(rho, i0, i0 + kBlock, out);
      continue;
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
      lane_sums += simd::log_positive(s);
    }
  }
  other += terms_scalar(rho, i0, n, out);
  return ((lane_sums[0] + lane_sums[1]) + (lane_sums[2] + lane_sums[3])) + other;
}

// Single precision, on eight lanes (or sixteen, below). |x| <= 87 keeps exp(-|x|) and softplus normal floats.
// log1p(e) = log(u) + (e - (u - 1)) / u with u = 1 + e rounded: the second term corrects
// u's rounding, and 1 / u is sigmoid's too. The sum of log sigma without a log per element:
// sigma = 2^k m with m in [1, 2); a block's mantissas multiplied per lane (8 factors, below
// 2^8) and its exponents added, then one log of the products per block.
//
// The blocks of rho[0 .. n) from the start while they lie in the vector path's range: each
// block's terms are written where dest(i0) says (a BlockTerms of three float arrays of
// kBlock), then done(i0, terms) is called, and its sum of log sigma is added to log_sum,
// block by block. A block outside the range goes to fallback(i0, log_sum), which returns
// false to stop there (its dest may then be partly written). Returns the first element not
// done.
//
// V is F32x8 or F32x16 (the AVX-512 copy): the elementwise passes run on V's lanes, and the
// product of the mantissas on eight lanes always, so that every copy gives the same bits.
struct BlockTerms {
  float* sigma;
  float* inv_sigma;
  float* dsigma;
};
constexpr float kRangeEnd = 87.00000763f;  // the float after 87 (87 + 2^-17)
static_assert(kRangeEnd > 87.0f && kRangeEnd == 87.0f + 0x1p-17f);
template <class V, class T, class Dest, class Done, class Fallback>
ELBO_SIMD_INLINE int64_t blocks_f32(const T* rho, int64_t n, double& log_sum, Dest dest, Done done,
                                    Fallback fallback) {
  using simd::U32x8;
  using simd::I32x8;
  using simd::F64x4;
  using I = simd::IntOf<V>;
  constexpr int kL = simd::kLanes<V>;
  alignas(64) float xf_buf[std::is_same_v<T, float> ? 1 : kBlock];
  alignas(64) float e[kBlock];
  int64_t i0 = 0;
  for (; i0 + kBlock <= n; i0 += kBlock) {
    const float* xf;
    if constexpr (std::is_same_v<T, float>) {
      xf = rho + i0;
    } else {
      for (int64_t b = 0; b < kBlock; ++b) xf_buf[b] = static_cast<float>(rho[i0 + b]);
      xf = xf_buf;
    }
    // Every lane's range test, |x| <= 87 (false for NaN and for rho beyond float's range),
    // and-ed into one mask looked at once per block. On the bits: |x|'s bits less those of
    // the float after 87 are negative exactly where it passes (NaN's bits are above inf's),
    // so the sign bits of the and say whether all passed. (A float compare and-ed as an
    // integer mask became sixteen scalar compares in GCC 12's AVX-512 copy: 1.5x the time
    // of the AVX2 copy.)
    I ok_all = I{} - 1;
    for (int64_t b = 0; b < kBlock; b += kL) {
      const V x = simd::load<V>(xf + b);
      const V ax = simd::select(x < 0.0f, -x, x);
      ok_all &= (std::bit_cast<I>(x) & 0x7fffffff) - std::bit_cast<int32_t>(kRangeEnd);
      simd::store(e + b, simd::exp_bounded_f32(simd::select(ax < kRangeEnd, -ax, V{})));
    }
    bool all_ok = true;
    for (int j = 0; j < kL; ++j) all_ok = all_ok && ok_all[j] < 0;
    if (!all_ok) {
      if (!fallback(i0, log_sum)) return i0;
      continue;
    }
    const BlockTerms out = dest(i0);
    for (int64_t b = 0; b < kBlock; b += kL) {
      const V x = simd::load<V>(xf + b), eb = simd::load<V>(e + b);
      const V u = eb + 1.0f;
      const V r = 1.0f / u;
      const V log1p_e = simd::log_positive_f32(u) + (eb - (u - 1.0f)) * r;
      const V sb = simd::select(x > 0.0f, x, V{}) + log1p_e;
      simd::store(out.sigma + b, sb);
      simd::store(out.dsigma + b, simd::select(x < 0.0f, eb * r, r));  // x >= 0: r (x is not NaN here)
      simd::store(out.inv_sigma + b, 1.0f / sb);
    }
    F32x8 product = F32x8{} + 1.0f;
    I32x8 exponents{};
    for (int64_t b = 0; b < kBlock; b += 8) {
      const F32x8 sb = simd::load8(out.sigma + b);
      const U32x8 bits = std::bit_cast<U32x8>(sb);
      exponents += std::bit_cast<I32x8>(bits >> 23) - 127;
      product *= std::bit_cast<F32x8>((bits & ((1u << 23) - 1)) | std::bit_cast<uint32_t>(1.0f));
    }
    // Each lane's log of its product plus its exponents' ln 2, in double, on four lanes at a
    // time; the eight then added in lane order.
    const F32x8 log_product = simd::log_positive_f32(product);
    const F64x4 ln2 = F64x4{} + static_cast<double>(simd::constants::kLn2);
    const F64x4 lo = __builtin_convertvector(__builtin_shufflevector(log_product, log_product, 0, 1, 2, 3), F64x4) +
                     __builtin_convertvector(__builtin_shufflevector(exponents, exponents, 0, 1, 2, 3), F64x4) * ln2;
    const F64x4 hi = __builtin_convertvector(__builtin_shufflevector(log_product, log_product, 4, 5, 6, 7), F64x4) +
                     __builtin_convertvector(__builtin_shufflevector(exponents, exponents, 4, 5, 6, 7), F64x4) * ln2;
    double block = 0;  // as a loop from 0 adds them (0 + -0 is +0)
    block += lo[0];
    block += lo[1];
    block += lo[2];
    block += lo[3];
    block += hi[0];
    block += hi[1];
    block += hi[2];
    block += hi[3];
    log_sum += block;
    done(i0, out);
  }
  return i0;
}

// One block's float terms from `terms` into `out` at `at` (SoftplusTerms widens them to double).
ELBO_SIMD_INLINE void store_block(const SoftplusTerms& out, int64_t at, const BlockTerms& terms) {
  for (int64_t b = 0; b < kBlock; ++b) {
    out.sigma[at + b] = terms.sigma[b];
    out.inv_sigma[at + b] = terms.inv_sigma[b];
    out.dsigma[at + b] = terms.dsigma[b];
  }
}

ELBO_SIMD_INLINE double terms_loop_f32(const double* rho, int64_t n, const SoftplusTerms& out) {
  alignas(64) float s[kBlock], inv[kBlock], ds[kBlock];
  double log_sum = 0;
  const int64_t i0 = blocks_f32<F32x8>(
      rho, n, log_sum, [&](int64_t) { return BlockTerms{s, inv, ds}; },
      [&](int64_t at, const BlockTerms& terms) { store_block(out, at, terms); },
      [&](int64_t at, double& sum) {
        sum += terms_scalar(rho, at, at + kBlock, out);
        return true;
      });
  return log_sum + terms_scalar(rho, i0, n, out);
}

// The float terms of whole blocks (n a multiple of kBlock); false at a block outside the range.
// rho in double (rounded to float first) or already in float.
template <class V, class T>
ELBO_SIMD_INLINE bool blocks_loop_f32(const T* rho, int64_t n, const SoftplusTermsF32& out, double& log_sum) {
  const int64_t done = blocks_f32<V>(
      rho, n, log_sum,
      [&](int64_t at) { return BlockTerms{out.sigma + at, out.inv_sigma + at, out.dsigma + at}; },
      [](int64_t, const BlockTerms&) {}, [](int64_t, double&) { return false; });
  return done == n;
}

double terms_baseline(const double* rho, int64_t n, const SoftplusTerms& out) { return terms_loop(rho, n, out); }
template <class T>
bool blocks_baseline_f32(const T* rho, int64_t n, const SoftplusTermsF32& out, double& log_sum) {
  return blocks_loop_f32<F32x8>(rho, n, out, log_sum);
}
double terms_baseline_f32(const double* rho, int64_t n, const SoftplusTerms& out) {
  return terms_loop_f32(rho, n, out);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ELBO_SOFTPLUS_AVX2 1
__attribute__((target("avx2"))) double terms_avx2(const double* rho, int64_t n, const SoftplusTerms& out) {
  return terms_loop(rho, n, out);
}
__attribute__((target("avx2"))) double terms_avx2_f32(const double* rho, int64_t n, const SoftplusTerms& out) {
  return terms_loop_f32(rho, n, out);
}
template <class T>
__attribute__((target("avx2"))) bool blocks_avx2_f32(const T* rho, int64_t n, const SoftplusTermsF32& out,
                                                     double& log_sum) {
  return blocks_loop_f32<F32x8>(rho, n, out, log_sum);
}
// The fused step's terms at AVX-512 (the others run the AVX2 copies there).
template <class T>
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2"))) bool blocks_avx512_f32(
    const T* rho, int64_t n, const SoftplusTermsF32& out, double& log_sum) {
  return blocks_loop_f32<simd::F32x16>(rho, n, out, log_sum);
}
#endif

}  // namespace

double softplus_terms(isa::Level level, Precision precision, const double* rho, int64_t n, const SoftplusTerms& out) {
  const bool single = precision == Precision::single;
#ifdef ELBO_SOFTPLUS_AVX2
  if (level != isa::Level::baseline) return single ? terms_avx2_f32(rho, n, out) : terms_avx2(rho, n, out);
#endif
  (void)level;
  return single ? terms_baseline_f32(rho, n, out) : terms_baseline(rho, n, out);
}

double softplus_terms(Precision precision, const double* rho, int64_t n, const SoftplusTerms& out) {
  static const isa::Level level = isa::active();
  return softplus_terms(level, precision, rho, n, out);
}

template <class T>
bool softplus_blocks_f32(isa::Level level, const T* rho, int64_t n, const SoftplusTermsF32& out, double& log_sum) {
#ifdef ELBO_SOFTPLUS_AVX2
  if (level == isa::Level::avx512) return blocks_avx512_f32(rho, n, out, log_sum);
  if (level == isa::Level::avx2) return blocks_avx2_f32(rho, n, out, log_sum);
#endif
  (void)level;
  return blocks_baseline_f32(rho, n, out, log_sum);
}

template <class T>
bool softplus_blocks_f32(const T* rho, int64_t n, const SoftplusTermsF32& out, double& log_sum) {
  static const isa::Level level = isa::active();
  return softplus_blocks_f32(level, rho, n, out, log_sum);
}

template bool softplus_blocks_f32(isa::Level, const double*, int64_t, const SoftplusTermsF32&, double&);
template bool softplus_blocks_f32(isa::Level, const float*, int64_t, const SoftplusTermsF32&, double&);
template bool softplus_blocks_f32(const double*, int64_t, const SoftplusTermsF32&, double&);
template bool softplus_blocks_f32(const float*, int64_t, const SoftplusTermsF32&, double&);

}  // namespace elbo::detail
