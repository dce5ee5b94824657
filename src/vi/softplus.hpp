#pragma once
// Scalar softplus and friends for the variational parameters (double precision).
#include <cmath>

namespace elbo::detail {

inline double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
inline double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  double e = std::exp(x);
  return e / (1.0 + e);
}
/// softplus(x) and sigmoid(x) (its derivative) from one exp; bitwise the same values.
struct SoftplusAndSigmoid {
  double softplus, sigmoid;
};
inline SoftplusAndSigmoid softplus_and_sigmoid(double x) {
  const double e = std::exp(-std::abs(x));
  return {(x > 0 ? x : 0.0) + std::log1p(e), x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e)};
}
/// The inverse of softplus, for y > 0.
inline double softplus_inverse(double y) { return y > 30 ? y : std::log(std::expm1(y)); }

inline constexpr double kHalfLog2Pi = 0.91893853320467274178;

}  // namespace elbo::detail
