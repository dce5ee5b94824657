// Normal pairs from Philox4x32-10 and Box-Muller, vectorised (normal_draws.hpp).
// Compiled with -ffp-contract=off and -fno-math-errno (CMakeLists.txt): the baseline and
// AVX2 copies then do the same IEEE operations, and sqrt vectorises.
#include "normal_draws.hpp"

#include <Random123/philox.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "simd_math.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define ELBO_NORMAL_DRAWS_AVX2 1
#endif

// The vector helpers are inlined: see simd_math.hpp on -Wpsabi.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace elbo::detail {
namespace {

using simd::F64x4;
using simd::U64x4;

// Philox4x32-10's constants (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers:
// as easy as 1, 2, 3"; Random123's philox.h): the round multipliers and the key increments.
constexpr uint32_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57, kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;

// Block b of (seed, stream, counter): its four words, as random.cpp's Philox::bits has them.
void philox_block(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t b, uint32_t w[4]) {
  using Gen = r123::Philox4x32;
  Gen gen;
  Gen::key_type key = {{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)}};
  Gen::ctr_type ctr = {{b, static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32),
                        static_cast<uint32_t>(stream)}};
  const auto r = gen(ctr, key);
  for (int i = 0; i < 4; ++i) w[i] = r[i];
}

template <class V>
ELBO_SIMD_INLINE V sqrt_lanes(V x) {
  if constexpr (std::is_same_v<V, double>) {
    return std::sqrt(x);
  } else {
    V r;
    for (int j = 0; j < 4; ++j) r[j] = __builtin_sqrt(x[j]);
    return r;
  }
}

// The (0, 1) uniform with 53 random bits of words hi, lo: v = (hi << 21 ^ lo >> 11) mod
// 2^53, then (v + 1/2) 2^-53 (random.cpp's open_unit). v is converted in two exact halves.
template <class V>
ELBO_SIMD_INLINE V open_unit(simd::UintOf<V> hi, simd::UintOf<V> lo) {
  using U = simd::UintOf<V>;
  constexpr uint64_t two52 = std::bit_cast<uint64_t>(0x1p52);
  const U v = ((hi << 21) ^ (lo >> 11)) & (U{} + ((uint64_t{1} << 53) - 1));
  const V vh = std::bit_cast<V>((v >> 32) | (U{} + two52)) - 0x1p52;
  const V vl = std::bit_cast<V>((v & (U{} + 0xFFFFFFFFu)) | (U{} + two52)) - 0x1p52;
  return ((vh * 0x1p32 + vl) + 0.5) * 0x1p-53;
}

template <class V>
ELBO_SIMD_INLINE void box_muller(V u1, V u2, V& c, V& s) {
  const V rad = sqrt_lanes(simd::log_positive(u1) * -2.0);
  V sn, cs;
  simd::sincos_2pi(u2, sn, cs);
  c = rad * cs;
  s = rad * sn;
}

// u = q / 4 + r with q = round(4 u) and |r| <= 1/8, both exact for u in [0, 1].
template <class V>
ELBO_SIMD_INLINE void quarter_turns(V u, simd::IntOf<V>& q, V& r) {
  using simd::constants::kRoundMagic;
  const V t = u * 4.0 + kRoundMagic;
  q = std::bit_cast<simd::IntOf<V>>(t) - std::bit_cast<int64_t>(kRoundMagic);
  r = u - (t - kRoundMagic) * 0.25;
}

// Pairs are made kChunk at a time, from the words of kChunk Philox blocks (words[k][b]: word
// k of block b), in passes over the chunk: the radii, then the angles. One pass per
// function keeps each loop's body short, so that the processor overlaps many iterations'
// long chains of dependent operations (log and sincos are ~20 each); one loop doing it all
// ran at a quarter of the speed.
constexpr int kChunk = 64;
using Words = uint32_t[4][kChunk];

ELBO_SIMD_INLINE U64x4 lanes(const uint32_t* w) { return U64x4{w[0], w[1], w[2], w[3]}; }

// Pairs [0, m) of the chunk into out[0 .. 2m); lanes past m compute from whatever words
// are there (set to valid ones by the caller) and are not stored.
ELBO_SIMD_INLINE void pairs_from_words(const Words& w, int m, double* out) {
  alignas(32) double rad[kChunk];
  const int mv = (m + 3) / 4 * 4;
  for (int b = 0; b < mv; b += 4)
    simd::store4(rad + b, simd::log_positive(open_unit<F64x4>(lanes(w[0] + b), lanes(w[1] + b))) * -2.0);
  for (int b = 0; b < mv; ++b) rad[b] = __builtin_sqrt(rad[b]);
  for (int b = 0; b < mv; b += 4) {
    F64x4 sn, cs;
    simd::sincos_2pi(open_unit<F64x4>(lanes(w[2] + b), lanes(w[3] + b)), sn, cs);
    const F64x4 r = simd::load4(rad + b), c = r * cs, s = r * sn;
    for (int j = 0; j < 4 && b + j < m; ++j) {
      out[2 * (b + j)] = c[j];
      out[2 * (b + j) + 1] = s[j];
    }
  }
}

// The same in single precision (normal_pairs_f32): the uniforms and the quarter-turn split
// u2 = q / 4 + r in double, where they are exact, then log, sqrt and sincos in float on
// eight lanes.
ELBO_SIMD_INLINE void pairs_from_words_f32(const Words& w, int m, float* out) {
  alignas(32) float u1f[kChunk], rf[kChunk];
  alignas(32) int32_t qs[kChunk];
  const int mv = (m + 7) / 8 * 8;
  for (int b = 0; b < mv; b += 4) {
    const F64x4 u1 = open_unit<F64x4>(lanes(w[0] + b), lanes(w[1] + b));
    const F64x4 u2 = open_unit<F64x4>(lanes(w[2] + b), lanes(w[3] + b));
    F64x4 r;
    simd::I64x4 q;
    quarter_turns(u2, q, r);
    for (int j = 0; j < 4; ++j) {
      u1f[b + j] = static_cast<float>(u1[j]);
      rf[b + j] = static_cast<float>(r[j]);
      qs[b + j] = static_cast<int32_t>(q[j]);
    }
  }
  for (int b = 0; b < mv; b += 8) {
    simd::F32x8 rad2 = simd::log_positive_f32(simd::load8(u1f + b)) * -2.0f, rad;
    for (int j = 0; j < 8; ++j) rad[j] = __builtin_sqrtf(rad2[j]);
    simd::I32x8 q;
    std::memcpy(&q, qs + b, sizeof q);
    simd::F32x8 sn, cs;
    simd::sincos_2pi_reduced_f32(simd::load8(rf + b), q, sn, cs);
    const simd::F32x8 c = rad * cs, s = rad * sn;
    for (int j = 0; j < 8 && b + j < m; ++j) {
      out[2 * (b + j)] = c[j];
      out[2 * (b + j) + 1] = s[j];
    }
  }
}

ELBO_SIMD_INLINE void pairs_from_words(const Words& w, int m, float* out) { pairs_from_words_f32(w, m, out); }

template <class T>
void normal_pairs_baseline(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t first_pair, int64_t n_pairs,
                           T* out) {
  Words w;
  for (int64_t p = 0; p < n_pairs; p += kChunk) {
    const int m = static_cast<int>(std::min<int64_t>(kChunk, n_pairs - p));
    for (int b = 0; b < (m + 7) / 8 * 8; ++b) {
      uint32_t words[4] = {1, 0, 1, 0};  // a valid (0, 1) uniform for the unused lanes
      if (b < m) philox_block(seed, stream, counter, static_cast<uint32_t>(first_pair + p + b), words);
      for (int k = 0; k < 4; ++k) w[k][b] = words[k];
    }
    pairs_from_words(w, m, out + 2 * p);
  }
}

#ifdef ELBO_NORMAL_DRAWS_AVX2
// mulhilo of eight 32-bit lanes by m: the even lanes' 64-bit products and the odd lanes'.
__attribute__((target("avx2"))) inline void mulhilo8(__m256i x, __m256i m, __m256i& hi, __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(x, m);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

// Blocks b0 .. b0 + 7 of Philox4x32-10, eight at a time: w[k][j0 + j] is word k of block
// b0 + j.
__attribute__((target("avx2"))) void philox8(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t b0,
                                             Words& w, int j0) {
  __m256i c0 = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(b0)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  __m256i c1 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(counter)));
  __m256i c2 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(counter >> 32)));
  __m256i c3 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream)));
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kM0)), m1 = _mm256_set1_epi32(static_cast<int>(kM1));
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += kW0;
      k1 += kW1;
    }
    __m256i hi0, lo0, hi1, lo1;
    mulhilo8(c0, m0, hi0, lo0);
    mulhilo8(c2, m1, hi1, lo1);
    const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32(static_cast<int>(k0)));
    const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32(static_cast<int>(k1)));
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[0] + j0), c0);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[1] + j0), c1);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[2] + j0), c2);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[3] + j0), c3);
}

template <class T>
__attribute__((target("avx2"))) void normal_pairs_avx2(uint64_t seed, uint64_t stream, uint64_t counter,
                                                       uint32_t first_pair, int64_t n_pairs, T* out) {
  Words w;
  for (int64_t p = 0; p < n_pairs; p += kChunk) {
    const int m = static_cast<int>(std::min<int64_t>(kChunk, n_pairs - p));
    // Blocks past m (up to the next multiple of 8) are real Philox blocks, never stored.
    for (int j = 0; j < m; j += 8) philox8(seed, stream, counter, static_cast<uint32_t>(first_pair + p + j), w, j);
    pairs_from_words(w, m, out + 2 * p);
  }
}
#endif

}  // namespace

void normal_pair_reference(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t pair, double out[2]) {
  uint32_t w[4];
  philox_block(seed, stream, counter, pair, w);
  box_muller<double>(open_unit<double>(w[0], w[1]), open_unit<double>(w[2], w[3]), out[0], out[1]);
}

void normal_pair_reference(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t pair, float out[2]) {
  uint32_t w[4];
  philox_block(seed, stream, counter, pair, w);
  int64_t q;
  double r;
  quarter_turns(open_unit<double>(w[2], w[3]), q, r);
  const float rad = std::sqrt(simd::log_positive_f32(static_cast<float>(open_unit<double>(w[0], w[1]))) * -2.0f);
  float sn, cs;
  simd::sincos_2pi_reduced_f32(static_cast<float>(r), static_cast<int32_t>(q), sn, cs);
  out[0] = rad * cs;
  out[1] = rad * sn;
}

template <class T>
void normal_pairs(isa::Level level, uint64_t seed, uint64_t stream, uint64_t counter, uint32_t first_pair,
                  int64_t n_pairs, T* out) {
#ifdef ELBO_NORMAL_DRAWS_AVX2
  if (level == isa::Level::avx2) return normal_pairs_avx2(seed, stream, counter, first_pair, n_pairs, out);
#endif
  (void)level;
  normal_pairs_baseline(seed, stream, counter, first_pair, n_pairs, out);
}

template <class T>
void normal_pairs(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t first_pair, int64_t n_pairs, T* out) {
  static const isa::Level level = isa::active();
  normal_pairs(level, seed, stream, counter, first_pair, n_pairs, out);
}

template void normal_pairs(isa::Level, uint64_t, uint64_t, uint64_t, uint32_t, int64_t, double*);
template void normal_pairs(isa::Level, uint64_t, uint64_t, uint64_t, uint32_t, int64_t, float*);
template void normal_pairs(uint64_t, uint64_t, uint64_t, uint32_t, int64_t, double*);
template void normal_pairs(uint64_t, uint64_t, uint64_t, uint32_t, int64_t, float*);

}  // namespace elbo::detail
