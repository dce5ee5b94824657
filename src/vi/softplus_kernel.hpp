#pragma once
// The mean-field family's per-parameter transform, vectorised: from rho, its
// sigma = softplus(rho), 1 / sigma, dsigma/drho = sigmoid(rho) and the sum of log sigma,
// which every step needs for the D parameters (MeanField::refresh). With
// src/graph/simd_math.hpp's exp, log1p and log, in an AVX2 copy and a baseline copy (and an
// AVX-512 one of softplus_blocks_f32) that give the same bits; |rho| beyond the vector path's range and non-finite rho take softplus.hpp's
// libm path.
#include <cstdint>

#include "graph/isa.hpp"

namespace elbo::detail {

struct SoftplusTerms {
  double* sigma;
  double* inv_sigma;
  double* dsigma;
};

/// double: four lanes, within a few ulp of libm. single: rho rounded to float and the terms
/// computed in float on eight lanes, sixteen in softplus_blocks_f32 at avx512 (within a few
/// float ulp), for models that evaluate z
/// in float32; about three times as fast.
enum class Precision { double_, single };

/// The terms of rho[0 .. n) into `out`; returns the sum of log sigma. With the kernels of
/// isa::active().
double softplus_terms(Precision precision, const double* rho, int64_t n, const SoftplusTerms& out);
/// The same with the kernels of `level` (tests compare the levels; it must be available).
double softplus_terms(isa::Level level, Precision precision, const double* rho, int64_t n, const SoftplusTerms& out);

/// The single-precision terms as floats, for kernels that keep them in float
/// (src/vi/mean_field_adam_step.cpp).
struct SoftplusTermsF32 {
  float* sigma;
  float* inv_sigma;
  float* dsigma;
};
/// The terms of softplus_terms(single) for whole blocks of 64: n must be a multiple of 64.
/// Adds each block's sum of log sigma to log_sum in block order, as softplus_terms adds them
/// to its sum; the values are those softplus_terms gives, as floats. Returns false, at a
/// block with |rho| > 87 or a non-finite rho (softplus_terms computes those in double), with
/// `out` and log_sum then partly written.
/// rho is double (rounded to float first) or already float (a float32 fit's state,
/// MeanField::single_params: the same bits as for rho widened to double).
template <class T>
bool softplus_blocks_f32(const T* rho, int64_t n, const SoftplusTermsF32& out, double& log_sum);
/// The same with the kernels of `level` (tests compare the levels; it must be available).
/// At avx512 they run on sixteen lanes, with the same bits.
template <class T>
bool softplus_blocks_f32(isa::Level level, const T* rho, int64_t n, const SoftplusTermsF32& out, double& log_sum);

}  // namespace elbo::detail
