#pragma once
// A supervised data set: a feature matrix and one target per row.
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo::data {

/// Features `x` of shape [N, F] and targets `y` of shape [N], in the same dtype. Names are
/// optional (empty when the source had none); feature_names, when set, has F entries.
struct Dataset {
  Tensor x;
  Tensor y;
  std::vector<std::string> feature_names;
  std::string target_name;

  /// N, the number of rows (0 for a default-constructed Dataset).
  int64_t rows() const { return x.rank() >= 1 ? x.dim(0) : 0; }
};

}  // namespace elbo::data
ELBO_API_END
