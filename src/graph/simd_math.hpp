#pragma once
// Elementary functions on four doubles at a time (GCC/Clang vector extensions), for the
// per-parameter work of a step: the normal draws' Box-Muller transform (normal_draws.cpp) and the
// mean-field family's softplus, sigmoid and log (vi/softplus_kernel.cpp). libm's scalar
// log, exp and sincos were most of a step at 10^5 parameters and more
// (docs/PERFORMANCE.md, "Realistic sizes").
//
// Every function is a template on V, either `double` or `float` (the scalar reference) or a
// vector of them (F64x4; F32x8, and F32x16 for the AVX-512 copies), and does the same
// operations in the same order on each lane, so they agree bit for bit.
// The files that use these are compiled with -ffp-contract=off (CMakeLists.txt): no fused
// multiply-add is formed, so the AVX2 copy of a kernel (target("avx2")) and the baseline
// copy (SSE2) give the same bits, on every machine and in every build.
//
// Accuracy (tests/graph/simd_math_test.cpp checks it against libm over 10^6 points):
//   log_positive  x normal, positive, finite:  within 1 ulp of the correctly rounded log
//   exp_bounded   |x| <= 708:                  within 1 ulp
//   log1p_unit    x in [0, 1]:                 within 2 ulp
//   sincos_2pi    u in [0, 1]:                 sin(2 pi u), cos(2 pi u) within 1e-16 absolute
// The domains are the callers' to keep; outside them the results are meaningless (the
// callers route such lanes to libm).
#include <bit>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <type_traits>

// Every function here is inlined into its caller: the vector types never cross a call, so
// GCC's note on their calling convention without AVX does not apply.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace elbo::simd {

using F64x4 = double __attribute__((vector_size(32)));
using I64x4 = int64_t __attribute__((vector_size(32)));
using U64x4 = uint64_t __attribute__((vector_size(32)));
using F32x8 = float __attribute__((vector_size(32)));
using I32x8 = int32_t __attribute__((vector_size(32)));
using U32x8 = uint32_t __attribute__((vector_size(32)));
// Sixteen floats: the AVX-512 copies of the single-precision kernels (a function compiled
// without AVX-512 splits them into narrower operations, with the same results).
using F32x16 = float __attribute__((vector_size(64)));
using I32x16 = int32_t __attribute__((vector_size(64)));
using U32x16 = uint32_t __attribute__((vector_size(64)));

template <class V>
struct LaneTypes;
template <>
struct LaneTypes<double> {
  using I = int64_t;
  using U = uint64_t;
};
template <>
struct LaneTypes<F64x4> {
  using I = I64x4;
  using U = U64x4;
};
template <>
struct LaneTypes<float> {
  using I = int32_t;
  using U = uint32_t;
};
template <>
struct LaneTypes<F32x8> {
  using I = I32x8;
  using U = U32x8;
};
template <>
struct LaneTypes<F32x16> {
  using I = I32x16;
  using U = U32x16;
};
template <class V>
using IntOf = typename LaneTypes<V>::I;
/// The lanes of V (1 for a scalar).
template <class V>
inline constexpr int kLanes = static_cast<int>(sizeof(V) / sizeof(std::remove_cvref_t<decltype(V{}[0])>));
template <>
inline constexpr int kLanes<double> = 1;
template <>
inline constexpr int kLanes<float> = 1;
template <class V>
using UintOf = typename LaneTypes<V>::U;

#define ELBO_SIMD_INLINE [[gnu::always_inline]] inline

ELBO_SIMD_INLINE F64x4 load4(const double* p) {
  F64x4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
ELBO_SIMD_INLINE void store4(double* p, F64x4 v) { std::memcpy(p, &v, sizeof v); }
ELBO_SIMD_INLINE F32x8 load8(const float* p) {
  F32x8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
ELBO_SIMD_INLINE void store8(float* p, F32x8 v) { std::memcpy(p, &v, sizeof v); }
/// V's lanes from p and into p, for any vector type.
template <class V, class T>
ELBO_SIMD_INLINE V load(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V, class T>
ELBO_SIMD_INLINE void store(T* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

/// m ? a : b, lane by lane (m from a comparison of V).
template <class M, class V>
ELBO_SIMD_INLINE V select(M m, V a, V b) {
  return m ? a : b;
}

/// V filled with c.
template <class V>
ELBO_SIMD_INLINE V splat(double c) {
  return V{} + c;
}
template <class V>
ELBO_SIMD_INLINE V splat_f(float c) {
  return V{} + c;
}

namespace constants {
// 1.5 * 2^52: adding it to |x| < 2^51 rounds x to an integer held in the low mantissa bits.
inline constexpr double kRoundMagic = 0x1.8p52;
inline constexpr long double kLn2 = 0.693147180559945309417232121458176568L;
inline constexpr long double kPi = 3.141592653589793238462643383279502884L;
// ln 2 split so that k * kLn2Hi is exact for |k| < 2^11: its low 12 mantissa bits are 0.
inline constexpr double kLn2Hi = std::bit_cast<double>(std::bit_cast<uint64_t>(static_cast<double>(kLn2)) &
                                                       ~((uint64_t{1} << 12) - 1));
inline constexpr double kLn2Lo = static_cast<double>(kLn2 - static_cast<long double>(kLn2Hi));
inline constexpr double kLog2e = static_cast<double>(1.0L / kLn2);
inline constexpr double kSqrt2 = 1.41421356237309504880;
// Single precision: 1.5 * 2^23 rounds |x| < 2^22 to an integer; k * kLn2HiF is exact for
// |k| < 2^12 (its low 12 of 24 significant bits are 0).
inline constexpr float kRoundMagicF = 0x1.8p23f;
inline constexpr float kLn2HiF =
    std::bit_cast<float>(std::bit_cast<uint32_t>(static_cast<float>(kLn2)) & ~((uint32_t{1} << 12) - 1));
inline constexpr float kLn2LoF = static_cast<float>(kLn2 - static_cast<long double>(kLn2HiF));
inline constexpr float kLog2eF = static_cast<float>(1.0L / kLn2);

// (2 pi)^n / n! in long double, rounded once.
consteval double two_pi_power_over_factorial(int n) {
  long double v = 1;
  for (int i = 1; i <= n; ++i) v = v * (2 * kPi) / i;
  return static_cast<double>(v);
}
consteval double inverse_factorial(int n) {
  long double v = 1;
  for (int i = 2; i <= n; ++i) v /= i;
  return static_cast<double>(v);
}
}  // namespace constants

/// 2^k for integer-valued k in [-1022, 1023], from its bits.
template <class V>
ELBO_SIMD_INLINE V power_of_two(IntOf<V> k) {
  return std::bit_cast<V>((k + 1023) << 52);
}

/// log x for normal, positive, finite x: x = 2^e m with m in [sqrt(1/2), sqrt 2), f = m - 1,
/// s = f / (2 + f), log(1 + f) = 2 atanh s = f - s (f - R) with R = 2 s^2/3 + 2 s^4/5 + ...
/// (|s| < 0.1716: ten terms reach 2^-56 relative).
template <class V>
ELBO_SIMD_INLINE V log_positive(V x) {
  using I = IntOf<V>;
  using U = UintOf<V>;
  using namespace constants;
  const U bits = std::bit_cast<U>(x);
  I e = std::bit_cast<I>(bits >> 52) - 1023;
  V m = std::bit_cast<V>((bits & (U{} + ((uint64_t{1} << 52) - 1))) | (U{} + std::bit_cast<uint64_t>(1.0)));
  const auto big = m > kSqrt2;
  m = select(big, m * 0.5, m);
  e = e + select(big, I{} + 1, I{});
  const V ed = std::bit_cast<V>(e + std::bit_cast<int64_t>(kRoundMagic)) - kRoundMagic;
  const V f = m - 1.0;
  const V s = f / (f + 2.0);
  const V z = s * s;
  V r = splat<V>(2.0 / 21);
  r = r * z + 2.0 / 19;
  r = r * z + 2.0 / 17;
  r = r * z + 2.0 / 15;
  r = r * z + 2.0 / 13;
  r = r * z + 2.0 / 11;
  r = r * z + 2.0 / 9;
  r = r * z + 2.0 / 7;
  r = r * z + 2.0 / 5;
  r = r * z + 2.0 / 3;
  r = r * z;
  return ed * kLn2Hi + ((ed * kLn2Lo - s * (f - r)) + f);
}

/// exp x for |x| <= 708: x = k ln 2 + r, |r| <= ln 2 / 2, e^r by its Taylor series to r^13
/// (0.347^14 / 14! < 2^-58).
template <class V>
ELBO_SIMD_INLINE V exp_bounded(V x) {
  using I = IntOf<V>;
  using namespace constants;
  const V t = x * kLog2e + kRoundMagic;
  const V kd = t - kRoundMagic;
  const I k = std::bit_cast<I>(t) - std::bit_cast<int64_t>(kRoundMagic);
  const V r = (x - kd * kLn2Hi) - kd * kLn2Lo;
  V p = splat<V>(inverse_factorial(13));
  p = p * r + inverse_factorial(12);
  p = p * r + inverse_factorial(11);
  p = p * r + inverse_factorial(10);
  p = p * r + inverse_factorial(9);
  p = p * r + inverse_factorial(8);
  p = p * r + inverse_factorial(7);
  p = p * r + inverse_factorial(6);
  p = p * r + inverse_factorial(5);
  p = p * r + inverse_factorial(4);
  p = p * r + inverse_factorial(3);
  p = p * r + 0.5;
  p = (p * r) * r + r;  // e^r - 1
  return (p + 1.0) * power_of_two<V>(k);
}

/// log(1 + x) for x in [0, 1]: log u * x / (u - 1) with u = 1 + x rounded, which corrects
/// the rounding of u (Goldberg 1991, Theorem 4); x itself where u rounds to 1.
template <class V>
ELBO_SIMD_INLINE V log1p_unit(V x) {
  const V u = x + 1.0;
  const V d = u - 1.0;
  const auto same = d == 0.0;
  const V safe_d = select(same, splat<V>(1.0), d);
  return select(same, x, log_positive(u) * (x / safe_d));
}

/// sin(2 pi u) and cos(2 pi u) for u in [0, 1]: u = q / 4 + r with q = round(4 u) and
/// |r| <= 1/8 exactly, the Taylor series of sin and cos of 2 pi r (|2 pi r| <= pi / 4) to the
/// 17th and 18th powers, then the quarter turns q.
template <class V>
ELBO_SIMD_INLINE void sincos_2pi(V u, V& sin_out, V& cos_out) {
  using I = IntOf<V>;
  using namespace constants;
  const V t = u * 4.0 + kRoundMagic;
  const V qd = t - kRoundMagic;
  const I q = std::bit_cast<I>(t) - std::bit_cast<int64_t>(kRoundMagic);
  const V r = u - qd * 0.25;
  const V z = r * r;
  V s = splat<V>(two_pi_power_over_factorial(17));
  s = s * z - two_pi_power_over_factorial(15);
  s = s * z + two_pi_power_over_factorial(13);
  s = s * z - two_pi_power_over_factorial(11);
  s = s * z + two_pi_power_over_factorial(9);
  s = s * z - two_pi_power_over_factorial(7);
  s = s * z + two_pi_power_over_factorial(5);
  s = s * z - two_pi_power_over_factorial(3);
  s = (s * z) * r + r * two_pi_power_over_factorial(1);
  V c = splat<V>(-two_pi_power_over_factorial(18));
  c = c * z + two_pi_power_over_factorial(16);
  c = c * z - two_pi_power_over_factorial(14);
  c = c * z + two_pi_power_over_factorial(12);
  c = c * z - two_pi_power_over_factorial(10);
  c = c * z + two_pi_power_over_factorial(8);
  c = c * z - two_pi_power_over_factorial(6);
  c = c * z + two_pi_power_over_factorial(4);
  c = c * z - two_pi_power_over_factorial(2);
  c = c * z + 1.0;
  // Quarter turn q: (sin, cos) -> q odd: (cos, -sin) ... as rotations by q * 90 degrees.
  const auto odd = (q & 1) != 0;
  const auto half = (q & 2) != 0;
  V so = select(odd, c, s), co = select(odd, -s, c);
  sin_out = select(half, -so, so);
  cos_out = select(half, -co, co);
}

// ---- Single precision: the same algorithms with fewer terms, for the draws and terms of
// models evaluated in float32. Accuracy (tests/graph/simd_math_test.cpp, against libm's
// double functions rounded to float):
//   log_positive_f32  x normal, positive, finite:  within 2 ulp (float)
//   exp_bounded_f32   |x| <= 87:                   within 2 ulp
//   log1p_unit_f32    x in [0, 1]:                 within 3 ulp
//   sincos_2pi_reduced_f32 (r in [-1/8, 1/8]):     within 1.2e-7 absolute

template <class V>
ELBO_SIMD_INLINE V log_positive_f32(V x) {
  using I = IntOf<V>;
  using U = UintOf<V>;
  using namespace constants;
  const U bits = std::bit_cast<U>(x);
  I e = std::bit_cast<I>(bits >> 23) - 127;
  V m = std::bit_cast<V>((bits & (U{} + ((uint32_t{1} << 23) - 1))) | (U{} + std::bit_cast<uint32_t>(1.0f)));
  const auto big = m > static_cast<float>(kSqrt2);
  m = select(big, m * 0.5f, m);
  e = e + select(big, I{} + 1, I{});
  const V ed = std::bit_cast<V>(e + std::bit_cast<int32_t>(kRoundMagicF)) - kRoundMagicF;
  const V f = m - 1.0f;
  const V s = f / (f + 2.0f);
  const V z = s * s;
  // |s| < 0.1716: the terms to s^11 reach 2^-27 relative.
  V r = splat_f<V>(2.0f / 11);
  r = r * z + 2.0f / 9;
  r = r * z + 2.0f / 7;
  r = r * z + 2.0f / 5;
  r = r * z + 2.0f / 3;
  r = r * z;
  return ed * kLn2HiF + ((ed * kLn2LoF - s * (f - r)) + f);
}

template <class V>
ELBO_SIMD_INLINE V exp_bounded_f32(V x) {
  using I = IntOf<V>;
  using namespace constants;
  const V t = x * kLog2eF + kRoundMagicF;
  const V kd = t - kRoundMagicF;
  const I k = std::bit_cast<I>(t) - std::bit_cast<int32_t>(kRoundMagicF);
  const V r = (x - kd * kLn2HiF) - kd * kLn2LoF;
  // |r| <= 0.347: the Taylor series to r^7 (0.347^8 / 8! < 2^-27).
  V p = splat_f<V>(static_cast<float>(inverse_factorial(7)));
  p = p * r + static_cast<float>(inverse_factorial(6));
  p = p * r + static_cast<float>(inverse_factorial(5));
  p = p * r + static_cast<float>(inverse_factorial(4));
  p = p * r + static_cast<float>(inverse_factorial(3));
  p = p * r + 0.5f;
  p = (p * r) * r + r;
  return (p + 1.0f) * std::bit_cast<V>((k + 127) << 23);
}

template <class V>
ELBO_SIMD_INLINE V log1p_unit_f32(V x) {
  const V u = x + 1.0f;
  const V d = u - 1.0f;
  const auto same = d == 0.0f;
  const V safe_d = select(same, splat_f<V>(1.0f), d);
  return select(same, x, log_positive_f32(u) * (x / safe_d));
}

/// sin(2 pi (q / 4 + r)) and cos of it for |r| <= 1/8 and integer q: the Taylor series of
/// sin and cos of 2 pi r to the 11th and 10th powers, then q quarter turns. The caller
/// splits u into q and r in double precision, where the split is exact.
template <class V>
ELBO_SIMD_INLINE void sincos_2pi_reduced_f32(V r, IntOf<V> q, V& sin_out, V& cos_out) {
  const V z = r * r;
  V s = splat_f<V>(static_cast<float>(constants::two_pi_power_over_factorial(11)));
  s = s * z + static_cast<float>(constants::two_pi_power_over_factorial(9));
  s = s * z - static_cast<float>(constants::two_pi_power_over_factorial(7));
  s = s * z + static_cast<float>(constants::two_pi_power_over_factorial(5));
  s = s * z - static_cast<float>(constants::two_pi_power_over_factorial(3));
  s = (s * z) * r + r * static_cast<float>(constants::two_pi_power_over_factorial(1));
  V c = splat_f<V>(-static_cast<float>(constants::two_pi_power_over_factorial(10)));
  c = c * z + static_cast<float>(constants::two_pi_power_over_factorial(8));
  c = c * z - static_cast<float>(constants::two_pi_power_over_factorial(6));
  c = c * z + static_cast<float>(constants::two_pi_power_over_factorial(4));
  c = c * z - static_cast<float>(constants::two_pi_power_over_factorial(2));
  c = c * z + 1.0f;
  const auto odd = (q & 1) != 0;
  const auto half = (q & 2) != 0;
  V so = select(odd, c, s), co = select(odd, -s, c);
  sin_out = select(half, -so, so);
  cos_out = select(half, -co, co);
}

}  // namespace elbo::simd

#pragma GCC diagnostic pop
