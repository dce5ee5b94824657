#include "network_inputs.hpp"

#include <algorithm>
#include <span>

#include "data_loading.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::cli {

namespace {

int64_t find_column(const std::vector<std::string>& columns, const std::string& name) {
  auto it = std::find(columns.begin(), columns.end(), name);
  return it == columns.end() ? -1 : it - columns.begin();
}

}  // namespace

NetworkInputs network_inputs(const NetworkSpec& spec, const data::Table& table, const std::string& path,
                             bool need_target) {
  const int64_t F = spec.feature_count(), cols = table.cols(), rows = table.rows();
  std::vector<int64_t> feature_cols;
  int64_t target_col = -1;

  bool by_name = true;
  for (const std::string& f : spec.features) {
    int64_t c = f.empty() ? -1 : find_column(table.columns, f);
    if (c < 0) {
      by_name = false;
      break;
    }
    feature_cols.push_back(c);
  }
  if (by_name) {
    if (!spec.target.empty()) target_col = find_column(table.columns, spec.target);
  } else {
    feature_cols.clear();
    if (cols == F) {
      for (int64_t c = 0; c < F; ++c) feature_cols.push_back(c);
    } else if (cols == F + 1) {
      target_col = spec.target_index;
      for (int64_t c = 0; c < cols; ++c)
        if (c != target_col) feature_cols.push_back(c);
    } else {
      throw FormatError(path + ": has " + std::to_string(cols) + " columns (" + join_names(table.columns) +
                        "), but the model was trained on " + std::to_string(F) + " features (" +
                        join_names(spec.features) + "); expected " + std::to_string(F) + " columns, or " +
                        std::to_string(F + 1) + " with the target '" + spec.target + "'");
    }
  }
  if (need_target && target_col < 0)
    throw FormatError(path + ": has no target column '" + spec.target + "' (columns: " + join_names(table.columns) +
                      "); evaluating needs the true values");

  NetworkInputs in;
  in.features = Tensor(DType::f64, {rows, F});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t f = 0; f < F; ++f) in.features.set(r * F + f, table.values[r * cols + feature_cols[f]]);
  if (target_col >= 0) {
    std::vector<double> y(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) y[r] = table.values[r * cols + target_col];
    in.target = std::move(y);
  }
  return in;
}

void check_network_targets(const NetworkSpec& spec, const NetworkInputs& in, const std::string& path,
                           int64_t first_row) {
  if (!in.target) return;
  const Likelihood& likelihood = *spec.likelihood;
  const std::span<const double> y(*in.target);
  std::string problem = likelihood.check_targets(y);
  if (!problem.empty() && first_row > 0) {
    // The likelihood names rows from the start of the span ("in data row 1"): find the first
    // row it rejects and name that row in the file instead.
    size_t r = 0;
    while (r < y.size() && likelihood.check_targets(y.subspan(r, 1)).empty()) ++r;
    if (r < y.size()) {  // else a check across rows: its message stands as it is
      problem = likelihood.check_targets(y.subspan(r, 1));
      const std::string block_row = " in data row 1", file_row = " in data row " + std::to_string(first_row + r + 1);
      if (const size_t at = problem.find(block_row); at != std::string::npos)
        problem.replace(at, block_row.size(), file_row);
    }
  }
  if (!problem.empty())
    throw FormatError(path + ": target '" + spec.target + "': " + problem + " (the model's likelihood is " +
                      likelihood.name() + ")");
}

}  // namespace elbo::cli
