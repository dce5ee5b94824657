#pragma once
// The sum of n terms in a fixed order, shared by the add op's bias gradient (binary_ops.cpp)
// and matmul fused with a bias (matmul_activation_op.cpp), so both give the same bits.
#include <cstdint>

namespace elbo {

/// term(0) + ... + term(n - 1) as kLanes partial sums (lane l takes the terms i = l mod
/// kLanes), added in lane order, then the tail: the same bits for the same inputs.
template <class T, class Term>
T sum_of_terms(int64_t n, Term term) {
  constexpr int kLanes = 8;
  T part[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) part[l] += term(i + l);
  T total = 0;
  for (int l = 0; l < kLanes; ++l) total += part[l];
  for (; i < n; ++i) total += term(i);
  return total;
}

}  // namespace elbo
