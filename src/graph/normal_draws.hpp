#pragma once
// Standard normal pairs from Philox4x32-10 by Box-Muller, the kernel under Philox::normal.
// In double precision pair p comes from Philox block p of (seed, stream, counter) as
//   u1, u2 = (0, 1) uniforms of 53 bits from words (0, 1) and (2, 3),
//   out[2p] = sqrt(-2 log u1) cos(2 pi u2),  out[2p + 1] = sqrt(-2 log u1) sin(2 pi u2),
// with simd_math.hpp's log and sincos. The AVX2 copy (eight Philox blocks per instruction,
// four pairs per transform), the AVX-512 copy of the float pairs (sixteen blocks, sixteen
// lanes) and the baseline copy give the same bits; the scalar reference
// normal_pair_reference gives them too, pair by pair.
#include <cstdint>

#include "isa.hpp"

namespace elbo::detail {

/// Pairs [first_pair, first_pair + n_pairs) into out[0 .. 2 n_pairs), with the kernels of
/// isa::active(). T = double: as above, in double precision. T = float: pair p from the
/// 32-bit words 2 (p % 2) and 2 (p % 2) + 1 of block p / 2, the transform in float on eight
/// or sixteen lanes (normal_draws.cpp says how; the radius is at most 6.66, the normal's mass beyond it
/// 3e-11). The float pairs are other draws than the double pairs.
template <class T>
void normal_pairs(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t first_pair, int64_t n_pairs, T* out);
/// The same with the kernels of `level` (tests compare the levels; `level` must be available).
template <class T>
void normal_pairs(isa::Level level, uint64_t seed, uint64_t stream, uint64_t counter, uint32_t first_pair,
                  int64_t n_pairs, T* out);
/// One pair, one element at a time: the references the kernels are tested against.
void normal_pair_reference(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t pair, double out[2]);
void normal_pair_reference(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t pair, float out[2]);

}  // namespace elbo::detail
