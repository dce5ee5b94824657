#pragma once
// A fitted approximation as it is saved: its variational parameters plus what is needed to
// use them again with a model built by the same code (the free variables' names, shapes,
// offsets and transforms) and free-form metadata (the CLI's network options, standardiser
// statistics...). Files hold one of these; see elbo/io/approximation_file.hpp.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/dtype.hpp"
#include "elbo/graph/shape.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

/// One free variable of the model an approximation was fitted to.
struct SavedVariable {
  std::string name;        ///< user-facing name, e.g. "sd"
  std::string value_name;  ///< unconstrained name, e.g. "sd_log__"
  Shape shape;
  int64_t offset = 0;      ///< first index in the flat vector
  std::string transform;   ///< "log", "logodds", "interval"; "" when unconstrained

  bool operator==(const SavedVariable&) const = default;
};

struct SavedApproximation {
  std::string kind;  ///< Approximation::kind: "meanfield", "fullrank", "lowrank:K", "flow:FORMULA"
  int64_t dim = 0;   ///< D, the model's flat size
  DType dtype = DType::f64;  ///< the model's dtype when it was saved (informational)
  std::vector<double> params;  ///< Approximation::params(), exactly
  std::vector<SavedVariable> variables;  ///< in flat order
  std::map<std::string, std::string> metadata;
  /// Where it came from, for messages: the file name when loaded, "" when built in memory.
  std::string source;

  bool operator==(const SavedApproximation&) const = default;
};

/// The number of variational parameters of an approximation of `kind` over `dim`
/// coordinates (family_param_count): 2D for "meanfield", D + D(D+1)/2 for "fullrank";
/// -1 for an unknown kind or a count that does not fit in int64.
int64_t approximation_param_count(const std::string& kind, int64_t dim);

/// The name of variational parameter i of an approximation of `kind` over `dim`
/// coordinates (0 <= i < approximation_param_count), as Approximation::param_name gives it
/// ("mu[3]", "rho[0]", "L[2,1]", "planar1.u[0]").
std::string approximation_param_name(const std::string& kind, int64_t dim, int64_t i);

/// A snapshot of `q`, fitted to `model`, with `metadata`.
/// Throws InvalidArgument when q's dimension is not the model's flat size, q's kind is not
/// a family's (family_registry.hpp), or a parameter is not finite (naming it and its
/// variable).
SavedApproximation to_saved_approximation(const Model& model, const Approximation& q,
                                          const std::map<std::string, std::string>& metadata = {});

/// The family the saved kind names (family_registry.hpp) with exactly the saved parameters.
/// Throws InvalidArgument for an unknown kind or a parameter count that does not fit kind
/// and dim.
std::unique_ptr<Approximation> make_approximation(const SavedApproximation& saved);

/// Checks that `model` (built by the same code as the saved one) has the same free
/// variables, in the same order, with the same names, unconstrained names, shapes, offsets
/// and transforms, and the saved dimension. The dtype may differ.
/// Throws InvalidArgument naming the first difference:
/// "model file 'm.elbo' has variable 'w_in_1' of shape [2,5], but the model has shape [3,5]".
void check_compatible(const SavedApproximation& saved, const Model& model);

}  // namespace elbo
ELBO_API_END
