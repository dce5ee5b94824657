#pragma once
// The order in which a mean-field step adds up its per-parameter terms (the squares of the
// noise in log q): in chunks of MeanField::kTermsChunk parameters, four lanes within a chunk
// (element i to lane i mod 4, a tail after the last whole four to lane 0), the chunks'
// totals then added in chunk order. A chunk is one thread's unit of work, so the sum is the
// same for any thread count, and the general path (MeanField) and the fused one
// (mean_field_adam_step.cpp) give the same bits.
#include <cstdint>

namespace elbo::detail {

struct SquareLanes {
  double part[4] = {0, 0, 0, 0};
  /// Adds e[0 .. n)^2; every call but a chunk's last must have n a multiple of 4.
  template <class T>
  void add(const T* e, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
      for (int j = 0; j < 4; ++j) {
        const double x = static_cast<double>(e[i + j]);
        part[j] += x * x;
      }
    for (; i < n; ++i) {
      const double x = static_cast<double>(e[i]);
      part[0] += x * x;
    }
  }
  double total() const { return (part[0] + part[1]) + (part[2] + part[3]); }
};

/// The chunks' totals added in order (one chunk: its total as it is).
inline double sum_of_chunks(const double* totals, int64_t chunks) {
  if (chunks <= 1) return totals[0];
  double sum = 0;
  for (int64_t c = 0; c < chunks; ++c) sum += totals[c];
  return sum;
}

}  // namespace elbo::detail
