#include "data_loading.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "elbo/data/csv.hpp"
#include "elbo/data/npy.hpp"

namespace elbo::cli {

namespace {

bool ends_with_npy(const std::string& path) {
  if (path.size() < 4) return false;
  std::string ext = path.substr(path.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".npy";
}

data::Table table_from_npy(const std::string& path) {
  Tensor array = data::read_npy(path);
  if (array.rank() != 2)
    throw FormatError(path + ": expected a 2-D array [rows, columns], got shape " + shape_str(array.shape()));
  if (array.dim(0) < 1 || array.dim(1) < 1)
    throw FormatError(path + ": the array of shape " + shape_str(array.shape()) + " has no values");
  data::Table table;
  const int64_t rows = array.dim(0), cols = array.dim(1);
  for (int64_t c = 0; c < cols; ++c) table.columns.push_back(std::string("c").append(std::to_string(c)));
  table.values = array.to(DType::f64);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      if (!std::isfinite(table.values[r * cols + c]))
        throw FormatError(path + ": row " + std::to_string(r) + ", column " + std::to_string(c) + " is " +
                          (std::isnan(table.values[r * cols + c]) ? "NaN" : "infinite") +
                          "; every value must be finite");
  return table;
}

}  // namespace

bool is_npy_path(const std::string& path) { return ends_with_npy(path); }

data::Table read_table(const std::string& path) {
  return ends_with_npy(path) ? table_from_npy(path) : data::read_csv(path);
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += names[i].empty() ? "(unnamed)" : names[i];
  }
  return out;
}

}  // namespace elbo::cli
