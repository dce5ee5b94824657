#pragma once
// Matching a data file to a fitted network: which columns are its features (in the order
// the network was trained on) and which, if any, is its target.
#include <optional>
#include <string>
#include <vector>

#include "elbo/data/table.hpp"
#include "network_file.hpp"

namespace elbo::cli {

struct NetworkInputs {
  Tensor features;                      ///< [rows, F], float64, raw units
  std::optional<std::vector<double>> target;  ///< when the file has the target column
};

/// If every training feature name is a column of the table, the features are taken by
/// name (and the target too, when present); otherwise by position: F columns are the
/// features, F + 1 columns are the training file's layout (the target at its training
/// index is dropped). Any other column count is an error naming both counts.
/// Throws FormatError (a runtime error: the file does not fit the model), or when
/// `need_target` and the file has no target column.
NetworkInputs network_inputs(const NetworkSpec& spec, const data::Table& table, const std::string& path,
                             bool need_target);

/// Throws FormatError when `in` has a target that the network's likelihood does not accept:
/// "d.csv: target 'y': value 2.5 in data row 2 is not a count (a whole number >= 0) (the
/// model's likelihood is poisson)". Nothing when there is no target. `first_row`: the file's
/// data row of in's first row, 0-based (for a block of a file read in blocks).
void check_network_targets(const NetworkSpec& spec, const NetworkInputs& in, const std::string& path,
                           int64_t first_row = 0);

}  // namespace elbo::cli
