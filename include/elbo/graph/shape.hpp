#pragma once
// Tensor shapes: up to rank 4 for user-facing values, plus the engine's sample dimension.
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

using Shape = std::vector<int64_t>;

/// Number of elements (1 for a scalar, the empty shape).
inline int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

/// "[500,2]"; "[]" for a scalar.
inline std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) r += ",";
    r += std::to_string(s[i]);
  }
  return r + "]";
}

}  // namespace elbo
ELBO_API_END
