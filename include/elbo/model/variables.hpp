#pragma once
// What a Model records about its named variables.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "elbo/distributions.hpp"
#include "elbo/export.hpp"
#include "elbo/graph/graph.hpp"
#include "elbo/transforms.hpp"

ELBO_API_BEGIN
namespace elbo {

/// A free random variable (a prior). Its unconstrained value is a parameter input of the
/// graph (named value_name, e.g. "sd_log__") and occupies [offset, offset + size) of the
/// model's flat vector.
struct FreeVariable {
  std::string name;        ///< user-facing name, e.g. "sd"
  std::string value_name;  ///< unconstrained name, e.g. "sd_log__" (== name without transform)
  Shape shape;
  int64_t offset = 0;
  int64_t size = 0;
  std::shared_ptr<const Distribution> distribution;
  std::shared_ptr<const Transform> transform;  ///< null when unconstrained
  Expr unconstrained;  ///< the parameter input
  Expr value;          ///< constrained value (what users and traces see)
  std::optional<Tensor> initial;  ///< user-given initial value (constrained), PyMC's testval
};

/// Options of an observed variable.
struct ObservedOptions {
  /// Number of rows in the full data set: the log-likelihood of a batch of M rows is
  /// multiplied by total_size / M. 0 means unset.
  double total_size = 0;
  /// Per-dimension form: entry i is the full size of axis i (0 = not scaled).
  std::vector<int64_t> total_size_per_dim = {};
};

/// An observed random variable (a likelihood term).
struct ObservedVariable {
  std::string name;
  std::shared_ptr<const Distribution> distribution;
  Expr data;     ///< the observed values
  Expr logp;     ///< sum of the elementwise log-likelihood, total_size scaling applied
  ObservedOptions options;
};

/// A named deterministic, recorded in traces.
struct Deterministic {
  std::string name;
  Expr value;
};

}  // namespace elbo
ELBO_API_END
