#pragma once
// Iteration over a broadcast elementwise operation in the internal layout. The output is
// visited contiguously; each call of the callback covers one innermost run:
//   f(n, out_offset, in_offsets, in_inner_strides)
// and the kernel loops i < n over out[out_offset + i], in_k[in_offsets[k] + i * stride_k].
#include <array>
#include <cstdint>

#include "elbo/graph/shape.hpp"
#include "layout.hpp"

namespace elbo {

template <int K, class F>
void broadcast_runs(const Shape& out, const std::array<const Shape*, K>& in, F f) {
  int64_t n = numel(out);
  std::array<int64_t, K> off{}, inner{};
  bool simple = true;
  for (int k = 0; k < K; ++k) {
    int64_t m = numel(*in[k]);
    if (m == n && *in[k] == out) {
      inner[k] = 1;
    } else if (m == 1) {
      inner[k] = 0;
    } else {
      simple = false;
    }
  }
  if (simple) {
    f(n, int64_t{0}, off, inner);
    return;
  }
  int r = static_cast<int>(out.size());
  // Physical loop order of the output, outer to inner, padded to 4 loops.
  std::array<int, 4> axes{-1, -1, -1, -1};
  {
    int order[4];
    int m = 0;
    for (int a = 0; a + 2 < r; ++a) order[m++] = a;
    if (r >= 2) {
      order[m++] = r - 1;
      order[m++] = r - 2;
    } else if (r == 1) {
      order[m++] = 0;
    }
    for (int k = 0; k < m; ++k) axes[4 - m + k] = order[k];
  }
  std::array<int64_t, 4> dims{1, 1, 1, 1};
  std::array<std::array<int64_t, 4>, K> st{};
  for (int l = 0; l < 4; ++l) {
    int a = axes[l];
    if (a < 0) continue;
    dims[l] = out[a];
    for (int k = 0; k < K; ++k) {
      const Shape& s = *in[k];
      int ak = a - (r - static_cast<int>(s.size()));
      if (ak < 0 || s[ak] == 1) {
        st[k][l] = 0;
      } else {
        st[k][l] = layout::strides(s)[ak];
      }
    }
  }
  for (int k = 0; k < K; ++k) inner[k] = st[k][3];
  int64_t o = 0;
  for (int64_t i0 = 0; i0 < dims[0]; ++i0)
    for (int64_t i1 = 0; i1 < dims[1]; ++i1)
      for (int64_t i2 = 0; i2 < dims[2]; ++i2) {
        for (int k = 0; k < K; ++k) off[k] = i0 * st[k][0] + i1 * st[k][1] + i2 * st[k][2];
        f(dims[3], o, off, inner);
        o += dims[3];
      }
}

}  // namespace elbo
