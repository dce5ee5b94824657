#pragma once
// Sums of doubles that do not depend on their order or grouping: each term is rounded once
// to 128-bit fixed point with 64 fractional bits (to the nearest multiple of 2^-64), and
// sums of fixed-point numbers are integer sums, exact and associative. A data-parallel fit
// adds each block's gradient this way (communicator.hpp), so that any split of the blocks
// over processes, and any order of arrival, gives the same bits.
//
// Range: a term must be finite with |x| < 2^62, which leaves room to add 2 of them without
// overflow at the extreme and billions of ordinary ones; precision: 2^-64 (5.4e-20) absolute
// per term.
#include <cstdint>
#include <span>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// A fixed-point number: value * 2^64 as a signed 128-bit integer (a GCC and Clang type).
__extension__ typedef __int128 FixedPoint;

/// The largest magnitude a term may have: 2^62.
inline constexpr double kFixedPointLimit = 4611686018427387904.0;

/// x rounded to the nearest multiple of 2^-64 (ties to even). x must be finite with
/// |x| < kFixedPointLimit (callers check with fits_fixed_point).
FixedPoint to_fixed_point(double x);
/// Whether to_fixed_point(x) is defined.
inline bool fits_fixed_point(double x) { return x > -kFixedPointLimit && x < kFixedPointLimit; }
/// The double nearest to the fixed-point value.
double from_fixed_point(FixedPoint v);

/// sums[i] += to_fixed_point(values[i]) for each i. Returns the number of values that do not
/// fit (non-finite or too large); those are left out.
int64_t add_fixed_point(std::span<const double> values, std::span<FixedPoint> sums);

}  // namespace elbo
ELBO_API_END
