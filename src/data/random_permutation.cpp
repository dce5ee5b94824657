#include "elbo/data/random_permutation.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"

namespace elbo::data {

std::vector<int64_t> random_permutation(int64_t n, uint64_t seed, uint64_t stream) {
  if (n < 0)
    throw InvalidArgument("random_permutation: argument 'n' is " + std::to_string(n) +
                          ", but must be non-negative");
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  if (n < 2) return perm;
  // Fisher-Yates from the back. Swap k (for position n-1-k) takes a 64-bit word; draws come
  // in chunks, one Philox counter per chunk, so memory stays small for any n. The modulo's
  // bias is below n / 2^64.
  const Philox rng(seed);
  constexpr int64_t chunk = 1 << 14;
  std::vector<uint32_t> words(2 * chunk);
  const int64_t swaps = n - 1;
  for (int64_t start = 0; start < swaps; start += chunk) {
    const int64_t m = std::min(chunk, swaps - start);
    rng.bits(words.data(), 2 * m, stream, static_cast<uint64_t>(start / chunk));
    for (int64_t k = 0; k < m; ++k) {
      const int64_t i = n - 1 - (start + k);
      const uint64_t v = (uint64_t{words[2 * k]} << 32) | words[2 * k + 1];
      const auto j = static_cast<int64_t>(v % static_cast<uint64_t>(i + 1));
      std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
    }
  }
  return perm;
}

}  // namespace elbo::data
