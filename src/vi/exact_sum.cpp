#include "elbo/vi/exact_sum.hpp"

#include <cmath>

namespace elbo {

FixedPoint to_fixed_point(double x) {
  // x * 2^64 is exact in double (a power-of-two scaling); rounding it to an integer is the
  // one rounding, and |x * 2^64| < 2^126 converts to __int128 exactly.
  return static_cast<FixedPoint>(std::nearbyint(std::ldexp(x, 64)));
}

double from_fixed_point(FixedPoint v) {
  // The conversion rounds the 128-bit integer to the nearest double; the scaling by 2^-64
  // is exact (the result is far from the subnormal range unless v is tiny, and then exact).
  return std::ldexp(static_cast<double>(v), -64);
}

int64_t add_fixed_point(std::span<const double> values, std::span<FixedPoint> sums) {
  int64_t misfits = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const double x = values[i];
    if (!fits_fixed_point(x)) {
      ++misfits;
      continue;
    }
    sums[i] += to_fixed_point(x);
  }
  return misfits;
}

}  // namespace elbo
