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

// Pairs are made kChunk at a time, from the words of kChunk Philox blocks (words[k][b]: word
// k of block b), in passes over the chunk: the radii, then the angles. One pass per
// function keeps each loop's body short, so that the processor overlaps many iterations'
// long chains of dependent operations (log and sincos are ~20 each); one loop doing it all
// ran at a quarter of the speed.
constexpr int kChunk = 64;
using Words = uint32_t[4][kChunk];
// float_pairs rounds a chunk's blocks up to whole vectors of 8 or 16 lanes within Words.
static_assert(kChunk % 16 == 0);

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

// Single precision, from 32-bit words alone: pair p comes from block p / 2, its words
// 2 (p % 2) (for u1) and 2 (p % 2) + 1 (for the angle), so one Philox block makes two pairs.
//   u1 = (float(w >> 1) + 1/2) 2^-31, in (0, 1]: never 0; the radius is at most
//        sqrt(64 ln 2) = 6.66 (the normal's mass beyond it is 3e-11); where the rounding
//        to float gives 1 (3e-8 of the draws) the radius is 0 instead of below 2.4e-4.
//   the angle 2 pi w / 2^32 as q quarter turns plus r, with q = round(w / 2^30) and
//        r = (w - q 2^30) / 2^32 in [-1/8, 1/8], in integer arithmetic (q counts mod 4).
template <class V>
ELBO_SIMD_INLINE void float_pair_words(simd::UintOf<V> wu, simd::UintOf<V> wa, V& c, V& s) {
  using I = simd::IntOf<V>;
  using U = simd::UintOf<V>;
  I half, r;
  U q;
  if constexpr (std::is_same_v<V, float>) {
    half = static_cast<int32_t>(wu >> 1);
    q = (wa + (uint32_t{1} << 29)) >> 30;
    r = static_cast<int32_t>(wa - (q << 30));
  } else {
    half = std::bit_cast<I>(wu >> 1);
    q = (wa + (uint32_t{1} << 29)) >> 30;
    r = std::bit_cast<I>(wa - (q << 30));
  }
  V u1, rf;
  if constexpr (std::is_same_v<V, float>) {
    u1 = static_cast<float>(half);
    rf = static_cast<float>(r);
  } else {
    u1 = __builtin_convertvector(half, V);
    rf = __builtin_convertvector(r, V);
  }
  u1 = (u1 + 0.5f) * 0x1p-31f;
  rf = rf * 0x1p-32f;
  V rad = simd::log_positive_f32(u1) * -2.0f;
  if constexpr (std::is_same_v<V, float>) {
    rad = std::sqrt(rad);
  } else {
    for (int j = 0; j < simd::kLanes<V>; ++j) rad[j] = __builtin_sqrtf(rad[j]);
  }
  V sn, cs;
  if constexpr (std::is_same_v<V, float>)
    simd::sincos_2pi_reduced_f32(rf, static_cast<int32_t>(q), sn, cs);
  else
    simd::sincos_2pi_reduced_f32(rf, std::bit_cast<I>(q), sn, cs);
  c = rad * cs;
  s = rad * sn;
}

// Blocks [0, nb) of the chunk (nb a multiple of V's lanes: 8 or 16) into out[0 .. 4 nb).
template <class V>
ELBO_SIMD_INLINE void float_pairs_from_words(const Words& w, int nb, float* out) {
  using U = simd::UintOf<V>;
  constexpr int kL = simd::kLanes<V>;
  for (int b = 0; b < nb; b += kL)
    for (int k = 0; k < 2; ++k) {
      const U wu = simd::load<U>(w[2 * k] + b), wa = simd::load<U>(w[2 * k + 1] + b);
      V c, s;
      float_pair_words<V>(wu, wa, c, s);
      for (int j = 0; j < kL; ++j) {
        out[4 * (b + j) + 2 * k] = c[j];
        out[4 * (b + j) + 2 * k + 1] = s[j];
      }
    }
}

// Pairs [first_pair, first_pair + n_pairs) in single precision: the blocks that hold them,
// kChunk at a time, words from fill(first_block, count, w) (count a multiple of V's lanes).
template <class V, class Fill>
ELBO_SIMD_INLINE void float_pairs(Fill fill, uint32_t first_pair, int64_t n_pairs, float* out) {
  constexpr int kL = simd::kLanes<V>;
  alignas(64) float buf[4 * kChunk];
  Words w;
  const int64_t b_end = (static_cast<int64_t>(first_pair) + n_pairs + 1) / 2;
  for (int64_t b0 = first_pair / 2; b0 < b_end; b0 += kChunk) {
    const int nb = static_cast<int>(std::min<int64_t>(kChunk, b_end - b0));
    const int whole = (nb + kL - 1) / kL * kL;  // blocks past nb are computed, never kept
    fill(static_cast<uint32_t>(b0), whole, w);
    float_pairs_from_words<V>(w, whole, buf);
    // Pairs 2 b0 .. 2 (b0 + nb) - 1 are in buf; keep those asked for.
    const int64_t p0 = std::max<int64_t>(2 * b0, first_pair);
    const int64_t p1 = std::min<int64_t>(2 * (b0 + nb), static_cast<int64_t>(first_pair) + n_pairs);
    std::copy(buf + 2 * (p0 - 2 * b0), buf + 2 * (p1 - 2 * b0), out + 2 * (p0 - first_pair));
  }
}

void normal_pairs_baseline(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t first_pair, int64_t n_pairs,
                           float* out) {
  auto fill = [&](uint32_t b0, int count, Words& w) {
    for (int b = 0; b < count; ++b) {
      uint32_t words[4];
      philox_block(seed, stream, counter, b0 + static_cast<uint32_t>(b), words);
      for (int k = 0; k < 4; ++k) w[k][b] = words[k];
    }
  };
  float_pairs<simd::F32x8>(fill, first_pair, n_pairs, out);
}

void normal_pairs_baseline(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t first_pair, int64_t n_pairs,
                           double* out) {
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

__attribute__((target("avx2"))) void normal_pairs_avx2(uint64_t seed, uint64_t stream, uint64_t counter,
                                                       uint32_t first_pair, int64_t n_pairs, float* out) {
  auto fill = [&](uint32_t b0, int count, Words& w) {
    for (int j = 0; j < count; j += 8) philox8(seed, stream, counter, b0 + static_cast<uint32_t>(j), w, j);
  };
  float_pairs<simd::F32x8>(fill, first_pair, n_pairs, out);
}

__attribute__((target("avx2"))) void normal_pairs_avx2(uint64_t seed, uint64_t stream, uint64_t counter,
                                                       uint32_t first_pair, int64_t n_pairs, double* out) {
  Words w;
  for (int64_t p = 0; p < n_pairs; p += kChunk) {
    const int m = static_cast<int>(std::min<int64_t>(kChunk, n_pairs - p));
    // Blocks past m (up to the next multiple of 8) are real Philox blocks, never stored.
    for (int j = 0; j < m; j += 8) philox8(seed, stream, counter, static_cast<uint32_t>(first_pair + p + j), w, j);
    pairs_from_words(w, m, out + 2 * p);
  }
}

// AVX-512: sixteen blocks a round and sixteen pairs a vector, the same operations. Only
// single precision has a copy of its own; double runs the AVX2 one.
#define ELBO_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2")))
// GCC 12's own AVX-512 intrinsics (_mm512_undefined_epi32) trip -Wuninitialized, as in the
// op kernels' AVX-512 copy (CMakeLists.txt).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
ELBO_TARGET_AVX512 inline void mulhilo16(__m512i x, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(x, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

// Blocks b0 .. b0 + 15 of Philox4x32-10: w[k][j0 + j] is word k of block b0 + j.
ELBO_TARGET_AVX512 void philox16(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t b0, Words& w, int j0) {
  __m512i c0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(b0)),
                                _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  __m512i c1 = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(counter)));
  __m512i c2 = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(counter >> 32)));
  __m512i c3 = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream)));
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kM0)), m1 = _mm512_set1_epi32(static_cast<int>(kM1));
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += kW0;
      k1 += kW1;
    }
    __m512i hi0, lo0, hi1, lo1;
    mulhilo16(c0, m0, hi0, lo0);
    mulhilo16(c2, m1, hi1, lo1);
    const __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32(static_cast<int>(k0)));
    const __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32(static_cast<int>(k1)));
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  _mm512_storeu_si512(w[0] + j0, c0);
  _mm512_storeu_si512(w[1] + j0, c1);
  _mm512_storeu_si512(w[2] + j0, c2);
  _mm512_storeu_si512(w[3] + j0, c3);
}

ELBO_TARGET_AVX512 void normal_pairs_avx512(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t first_pair,
                                            int64_t n_pairs, float* out) {
  auto fill = [&](uint32_t b0, int count, Words& w) {
    for (int j = 0; j < count; j += 16) philox16(seed, stream, counter, b0 + static_cast<uint32_t>(j), w, j);
  };
  float_pairs<simd::F32x16>(fill, first_pair, n_pairs, out);
}
void normal_pairs_avx512(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t first_pair, int64_t n_pairs,
                         double* out) {
  normal_pairs_avx2(seed, stream, counter, first_pair, n_pairs, out);
}
#pragma GCC diagnostic pop
#undef ELBO_TARGET_AVX512
#endif

}  // namespace

void normal_pair_reference(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t pair, double out[2]) {
  uint32_t w[4];
  philox_block(seed, stream, counter, pair, w);
  box_muller<double>(open_unit<double>(w[0], w[1]), open_unit<double>(w[2], w[3]), out[0], out[1]);
}

void normal_pair_reference(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t pair, float out[2]) {
  uint32_t w[4];
  philox_block(seed, stream, counter, pair / 2, w);
  const int k = static_cast<int>(pair % 2);
  float_pair_words<float>(w[2 * k], w[2 * k + 1], out[0], out[1]);
}

template <class T>
void normal_pairs(isa::Level level, uint64_t seed, uint64_t stream, uint64_t counter, uint32_t first_pair,
                  int64_t n_pairs, T* out) {
#ifdef ELBO_NORMAL_DRAWS_AVX2
  if (level == isa::Level::avx512) return normal_pairs_avx512(seed, stream, counter, first_pair, n_pairs, out);
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
