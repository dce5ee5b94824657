#include "elbo/data/table.hpp"

#include <charconv>
#include <string>

#include "elbo/graph/error.hpp"

namespace elbo::data {

namespace {
std::string list_columns(const std::vector<std::string>& columns) {
  std::string s;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(i) + " \"" + columns[i] + "\"";
  }
  return s.empty() ? "none" : s;
}
}  // namespace

int64_t column_index(const std::vector<std::string>& columns, const std::string& target) {
  if (columns.empty())
    throw InvalidArgument("argument 'target' is \"" + target + "\", but the table has no columns");
  if (target.empty()) return static_cast<int64_t>(columns.size()) - 1;
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == target) return static_cast<int64_t>(i);
  int64_t index = -1;
  const char* end = target.data() + target.size();
  auto [ptr, ec] = std::from_chars(target.data(), end, index);
  if (ec == std::errc() && ptr == end && index >= 0 &&
      index < static_cast<int64_t>(columns.size()))
    return index;
  throw InvalidArgument("argument 'target' is \"" + target +
                        "\", which is neither a column name nor a 0-based column index; the "
                        "columns are: " +
                        list_columns(columns));
}

Tensor column(const Table& table, int64_t index, DType dtype) {
  const int64_t cols = table.cols();
  if (index < 0 || index >= cols)
    throw InvalidArgument("argument 'index' is " + std::to_string(index) +
                          ", but the table has columns 0 to " + std::to_string(cols - 1) +
                          ": " + list_columns(table.columns));
  const int64_t n = table.rows();
  Tensor out(dtype, Shape{n});
  for (int64_t r = 0; r < n; ++r) out.set(r, table.values[r * cols + index]);
  return out;
}

Dataset split_target(const Table& table, int64_t target_index, DType dtype) {
  const int64_t cols = table.cols();
  if (target_index < 0 || target_index >= cols)
    throw InvalidArgument("argument 'target' is column " + std::to_string(target_index) +
                          ", but the table has columns 0 to " + std::to_string(cols - 1) +
                          ": " + list_columns(table.columns));
  if (cols < 2)
    throw InvalidArgument("argument 'target' is column " + std::to_string(target_index) +
                          " \"" + table.columns[0] +
                          "\", the table's only column; no feature columns would be left");
  if (table.values.rank() != 2 || table.values.dim(1) != cols)
    throw ShapeError("split_target: table values have shape " + shape_str(table.values.shape()) +
                     " for " + std::to_string(cols) + " column names");
  const int64_t n = table.rows();
  Dataset d{Tensor(dtype, Shape{n, cols - 1}), column(table, target_index, dtype), {},
            table.columns[static_cast<size_t>(target_index)]};
  for (int64_t c = 0; c < cols; ++c)
    if (c != target_index) d.feature_names.push_back(table.columns[static_cast<size_t>(c)]);
  for (int64_t r = 0; r < n; ++r) {
    int64_t k = 0;
    for (int64_t c = 0; c < cols; ++c)
      if (c != target_index) d.x.set(r * (cols - 1) + k++, table.values[r * cols + c]);
  }
  return d;
}

Dataset split_target(const Table& table, const std::string& target, DType dtype) {
  return split_target(table, column_index(table.columns, target), dtype);
}

}  // namespace elbo::data
