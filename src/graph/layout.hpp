#pragma once
// The engine's internal layout. User-facing tensors are row-major; inside a program every
// value of rank >= 2 keeps its last two axes swapped, so a [rows, features] matrix is
// stored feature-major (each feature contiguous over the rows, column-major). Narrow
// networks then run as long vectorised loops over rows (see docs/PERFORMANCE.md).
// Ranks 0 and 1 are identical in both layouts. The exception: a large weight matrix whose
// consumers take either layout stays row-major (program_plan.cpp, mark_row_major_params).
#include <algorithm>
#include <array>
#include <type_traits>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
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

/// The transpose of rows [r0, r1) and columns [c0, c1) of a matrix whose row r starts at
/// row_at(r), into dst: dst[c * ldd + r] = row_at(r)[c]. In tiles of 16 x 16, so that both
/// sides are read and written a cache line at a time (an element-by-element scatter touches
/// a new line per element once the matrix outgrows the cache); for float, 4 x 4 blocks of a
/// tile with SSE shuffles. A copy: the same values for any split of the ranges.
template <class T, class RowAt>
void transpose_rows(RowAt row_at, int64_t r0, int64_t r1, int64_t c0, int64_t c1, T* dst, int64_t ldd) {
  constexpr int64_t kTile = 16;
  constexpr int64_t kLine = 64 / static_cast<int64_t>(sizeof(T));
  for (int64_t rb = r0; rb < r1; rb += kTile) {
    const int64_t re = std::min(rb + kTile, r1);
    const T* row[kTile];
    for (int64_t r = rb; r < re; ++r) row[r - rb] = row_at(r);
    // The next block's rows are fetched while this one is transposed: a minibatch's rows
    // lie anywhere in the data, and 16 of them at a time are more streams than the
    // hardware's prefetchers follow.
    for (int64_t r = re; r < std::min(re + kTile, r1); ++r) {
      const T* p = row_at(r);
      for (int64_t c = c0; c < c1; c += kLine) __builtin_prefetch(p + c);
    }
    for (int64_t cb = c0; cb < c1; cb += kTile) {
      const int64_t ce = std::min(cb + kTile, c1);
      int64_t r4 = rb, c4 = cb;  // the part covered by whole 4 x 4 blocks
#if defined(__SSE__)
      if constexpr (std::is_same_v<T, float>) {
        r4 = rb + (re - rb) / 4 * 4;
        c4 = cb + (ce - cb) / 4 * 4;
        for (int64_t r = rb; r < r4; r += 4)
          for (int64_t c = cb; c < c4; c += 4) {
            const T* const* p = row + (r - rb);
            __m128 a = _mm_loadu_ps(p[0] + c), b = _mm_loadu_ps(p[1] + c);
            __m128 e = _mm_loadu_ps(p[2] + c), f = _mm_loadu_ps(p[3] + c);
            _MM_TRANSPOSE4_PS(a, b, e, f);
            _mm_storeu_ps(dst + c * ldd + r, a);
            _mm_storeu_ps(dst + (c + 1) * ldd + r, b);
            _mm_storeu_ps(dst + (c + 2) * ldd + r, e);
            _mm_storeu_ps(dst + (c + 3) * ldd + r, f);
          }
      }
#endif
      // The rest: columns past c4 for every row, and rows past r4 for the blocks' columns.
      for (int64_t c = c4; c < ce; ++c)
        for (int64_t r = rb; r < re; ++r) dst[c * ldd + r] = row[r - rb][c];
      for (int64_t c = cb; c < c4; ++c)
        for (int64_t r = r4; r < re; ++r) dst[c * ldd + r] = row[r - rb][c];
    }
  }
}

/// The transpose of src's rows [r0, r1) and columns [c0, c1) into dst: dst[c * ldd + r] =
/// src[r * lds + c].
template <class T>
void transpose_block(const T* src, int64_t lds, T* dst, int64_t ldd, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  transpose_rows<T>([src, lds](int64_t r) { return src + r * lds; }, r0, r1, c0, c1, dst, ldd);
}

/// Rows rows[0 .. m) of the row-major [*, width] matrix src, gathered into the internal
/// layout of an [m, width] matrix: dst[f * m + k] = src[rows[k] * width + f], by the tiles
/// of transpose_rows (a feature-by-feature gather made 128 strided reads per feature at 784
/// features).
template <class T>
void gather_rows_into_internal(const T* src, int64_t width, const int64_t* rows, int64_t m, T* dst,
                               int64_t c0 = 0, int64_t c1 = -1) {
  transpose_rows<T>([src, width, rows](int64_t k) { return src + rows[k] * width; }, 0, m, c0, c1 < 0 ? width : c1,
                    dst, m);
}

/// Rows [i0, i1) of one row-major [rows, cols] matrix into the internal layout
/// (dst[j * rows + i] = src[i * cols + j]).
template <class T>
void rows_into_internal(const T* src, T* dst, int64_t rows, int64_t cols, int64_t i0, int64_t i1) {
  transpose_block(src, cols, dst, rows, i0, i1, int64_t{0}, cols);
}
/// The inverse: rows [i0, i1) of the row-major [rows, cols] matrix from its internal layout.
template <class T>
void rows_from_internal(const T* src, T* dst, int64_t rows, int64_t cols, int64_t i0, int64_t i1) {
  transpose_block(src, rows, dst, cols, int64_t{0}, cols, i0, i1);
}
}  // namespace elbo::layout
