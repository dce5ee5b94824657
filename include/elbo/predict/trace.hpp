#pragma once
// Posterior draws as named arrays in constrained space ([draws, ...shape] each), with an
// ArviZ-like summary (mean, sd, hdi_3%, hdi_97%) and CSV/NPY export.
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo {

/// One row of the summary: a scalar element of a variable ("w_in_1[0,1]").
struct SummaryRow {
  std::string name;
  double mean = 0, sd = 0, hdi_low = 0, hdi_high = 0;
};

class Trace {
 public:
  /// Adds a variable; values are [draws, ...shape] and every variable has the same draws.
  void add(const std::string& name, Tensor values);
  int64_t draws() const { return draws_; }
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const;
  /// Throws InvalidArgument naming the variable and listing the available ones.
  const Tensor& operator[](const std::string& name) const;

  /// The unconstrained flat draws [draws, D] the trace was made from (may be empty).
  const Tensor& unconstrained() const { return unconstrained_; }
  void set_unconstrained(Tensor theta) { unconstrained_ = std::move(theta); }

  /// One row per scalar element; hdi_prob 0.94 gives ArviZ's hdi_3% and hdi_97%
  /// (the narrowest interval holding that share of the draws).
  std::vector<SummaryRow> summary(double hdi_prob = 0.94, const std::vector<std::string>& var_names = {}) const;
  /// The summary as an aligned text table, as CSV, and as a JSON array of objects.
  std::string summary_table(double hdi_prob = 0.94, const std::vector<std::string>& var_names = {}) const;
  std::string summary_csv(double hdi_prob = 0.94, const std::vector<std::string>& var_names = {}) const;
  std::string summary_json(double hdi_prob = 0.94, const std::vector<std::string>& var_names = {}) const;

  /// One CSV row per draw, one column per scalar element ("w_in_1[0,1]"), written atomically.
  void to_csv(const std::string& path) const;
  /// One NPY file per variable, <dir>/<name>.npy, each written atomically. dir must exist.
  void to_npy(const std::string& dir) const;

 private:
  int64_t draws_ = -1;
  std::vector<std::string> names_;
  std::vector<Tensor> values_;
  Tensor unconstrained_;
};

/// The narrowest interval containing ceil(prob * n) of the values (ArviZ's hdi).
std::pair<double, double> hdi(std::vector<double> values, double prob);

/// "w[0,1]" for element `flat` of a variable of shape `shape` (the name alone for scalars).
std::string element_name(const std::string& name, const Shape& shape, int64_t flat);

}  // namespace elbo
ELBO_API_END
