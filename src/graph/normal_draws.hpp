#pragma once
// Standard normal pairs from Philox4x32-10 by Box-Muller, the kernel under Philox::normal:
// pair p comes from Philox block p of (seed, stream, counter) as
//   u1, u2 = (0, 1) uniforms of 53 bits from words (0, 1) and (2, 3),
//   out[2p] = sqrt(-2 log u1) cos(2 pi u2),  out[2p + 1] = sqrt(-2 log u1) sin(2 pi u2),
// with simd_math.hpp's log and sincos. The AVX2 copy (eight Philox blocks per instruction,
// four pairs per transform) and the baseline copy give the same bits; the scalar reference
// normal_pair_reference gives them too, pair by pair.
#include <cstdint>

#include "isa.hpp"

namespace elbo::detail {

/// Pairs [first_pair, first_pair + n_pairs) into out[0 .. 2 n_pairs), with the kernels of
/// isa::active(). T = double: the transform in double precision. T = float: the uniforms
/// and the angle's quarter turns in double, log, sqrt and sincos in float (within a few
/// float ulp of the double pairs; eight lanes at a time).
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
