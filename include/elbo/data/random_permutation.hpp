#pragma once
// Shuffled row orders, reproducible from a seed.
#include <cstdint>
#include <vector>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo::data {

/// A uniformly random permutation of 0..n-1 (Fisher-Yates driven by elbo::Philox keyed by
/// `seed`; `stream` separates independent uses of one seed). Throws InvalidArgument if n < 0.
std::vector<int64_t> random_permutation(int64_t n, uint64_t seed, uint64_t stream = 0);

}  // namespace elbo::data
ELBO_API_END
