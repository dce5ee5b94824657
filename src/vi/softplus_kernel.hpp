#pragma once
// The mean-field family's per-parameter transform, vectorised: from rho, its
// sigma = softplus(rho), 1 / sigma, log sigma and dsigma/drho = sigmoid(rho), which every step
// needs for each of the D parameters (MeanField::refresh). Four lanes at a time with
// src/graph/simd_math.hpp's exp, log1p and log, in an AVX2 copy and a baseline copy that give
// the same bits; |rho| > 708 and non-finite rho take softplus.hpp's libm path.
#include <cstdint>

#include "graph/isa.hpp"

namespace elbo::detail {

struct SoftplusTerms {
  double* sigma;
  double* inv_sigma;
  double* log_sigma;
  double* dsigma;
};

/// double: within a few ulp of libm. single: rho rounded to float and the terms computed in
/// float (within a few float ulp), for models that evaluate z in float32; eight lanes at a
/// time, so about three times as fast.
enum class Precision { double_, single };

/// The terms of rho[0 .. n), with the kernels of isa::active().
void softplus_terms(Precision precision, const double* rho, int64_t n, const SoftplusTerms& out);
/// The same with the kernels of `level` (tests compare the levels; it must be available).
void softplus_terms(isa::Level level, Precision precision, const double* rho, int64_t n, const SoftplusTerms& out);

}  // namespace elbo::detail
