#pragma once
// The engine's internal layout. User-facing tensors are row-major; inside a program every
// value of rank >= 2 keeps its last two axes swapped, so a [rows, features] matrix is
// stored feature-major (each feature contiguous over the rows, column-major). Narrow
// networks then run as long vectorised loops over rows (see docs/PERFORMANCE.md).
// Ranks 0 and 1 are identical in both layouts.
#include <array>
#include <cstdint>

#include "elbo/graph/shape.hpp"

namespace elbo::layout {

/// Physical stride of each logical axis of `shape` in the internal layout.
inline std::array<int64_t, 4> strides(const Shape& shape) {
  std::array<int64_t, 4> st{0, 0, 0, 0};
  int r = static_cast<int>(shape.size());
  if (r == 0) return st;
  if (r == 1) {
    st[0] = 1;
    return st;
  }
  int64_t rows = shape[r - 2], cols = shape[r - 1];
  st[r - 2] = 1;
  st[r - 1] = rows;
  int64_t acc = rows * cols;
  for (int a = r - 3; a >= 0; --a) {
    st[a] = acc;
    acc *= shape[a];
  }
  return st;
}

/// Row-major strides of `shape` (the user-facing layout).
inline std::array<int64_t, 4> row_major_strides(const Shape& shape) {
  std::array<int64_t, 4> st{0, 0, 0, 0};
  int64_t acc = 1;
  for (int a = static_cast<int>(shape.size()) - 1; a >= 0; --a) {
    st[a] = acc;
    acc *= shape[a];
  }
  return st;
}

/// True when the internal and row-major layouts of `shape` coincide.
inline bool is_trivial(const Shape& shape) {
  int r = static_cast<int>(shape.size());
  return r < 2 || shape[r - 1] == 1 || shape[r - 2] == 1;
}

/// Copies a row-major array into the internal layout.
template <class S, class T>
void from_row_major(const S* src, T* dst, const Shape& shape) {
  int64_t n = numel(shape);
  if (is_trivial(shape)) {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(src[i]);
    return;
  }
  int r = static_cast<int>(shape.size());
  int64_t rows = shape[r - 2], cols = shape[r - 1], block = rows * cols;
  if (n == 0) return;  // a zero dimension: nothing to copy (and block may be 0)
  for (int64_t b = 0; b < n / block; ++b)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        dst[b * block + j * rows + i] = static_cast<T>(src[b * block + i * cols + j]);
}

/// Copies an internal-layout array into row-major order.
template <class S, class T>
void to_row_major(const S* src, T* dst, const Shape& shape) {
  int64_t n = numel(shape);
  if (is_trivial(shape)) {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(src[i]);
    return;
  }
  int r = static_cast<int>(shape.size());
  int64_t rows = shape[r - 2], cols = shape[r - 1], block = rows * cols;
  if (n == 0) return;  // a zero dimension: nothing to copy (and block may be 0)
  for (int64_t b = 0; b < n / block; ++b)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        dst[b * block + i * cols + j] = static_cast<T>(src[b * block + j * rows + i]);
}

/// Calls f(offset) for each element in logical row-major order, with the element's offset
/// in the internal layout.
template <class F>
void for_each_logical(const Shape& shape, F f) {
  int r = static_cast<int>(shape.size());
  auto st = strides(shape);
  std::array<int64_t, 4> dims{1, 1, 1, 1}, s{0, 0, 0, 0};
  for (int a = 0; a < r; ++a) {
    dims[4 - r + a] = shape[a];
    s[4 - r + a] = st[a];
  }
  for (int64_t i0 = 0; i0 < dims[0]; ++i0)
    for (int64_t i1 = 0; i1 < dims[1]; ++i1)
      for (int64_t i2 = 0; i2 < dims[2]; ++i2)
        for (int64_t i3 = 0; i3 < dims[3]; ++i3) f(i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3]);
}

}  // namespace elbo::layout
