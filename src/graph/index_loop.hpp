#pragma once
// Visits every logical index of a shape (rank <= 4) in row-major order. For the
// shape-manipulating ops, whose speed does not matter next to matmul and elementwise work.
#include <array>
#include <cstdint>

#include "elbo/graph/shape.hpp"

namespace elbo {

using Index4 = std::array<int64_t, 4>;

/// Calls f(index) for every index of the shape given by the first `r` entries of `shape`.
/// Kernels' plans hold shapes in fixed arrays like this, so running them does not allocate.
template <class F>
void for_each_index(const Index4& shape, int r, F f) {
  Index4 dims{1, 1, 1, 1};
  for (int a = 0; a < r; ++a) dims[4 - r + a] = shape[a];
  Index4 full{};
  Index4 idx{};
  for (full[0] = 0; full[0] < dims[0]; ++full[0])
    for (full[1] = 0; full[1] < dims[1]; ++full[1])
      for (full[2] = 0; full[2] < dims[2]; ++full[2])
        for (full[3] = 0; full[3] < dims[3]; ++full[3]) {
          for (int a = 0; a < r; ++a) idx[a] = full[4 - r + a];
          f(idx);
        }
}

/// The same for a Shape (rank <= 4).
template <class F>
void for_each_index(const Shape& shape, F f) {
  Index4 s{};
  int r = static_cast<int>(shape.size());
  for (int a = 0; a < r; ++a) s[a] = shape[a];
  for_each_index(s, r, f);
}

inline int64_t offset_of(const Index4& idx, const std::array<int64_t, 4>& strides, int rank) {
  int64_t o = 0;
  for (int a = 0; a < rank; ++a) o += idx[a] * strides[a];
  return o;
}

}  // namespace elbo
