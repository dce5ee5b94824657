#pragma once
// A numeric table read from a file: named columns over a row-major float64 matrix.
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/data/dataset.hpp"
#include "elbo/export.hpp"
#include "elbo/graph/dtype.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo::data {

/// `values` is a float64 Tensor of shape [rows, columns.size()], row-major; `columns` holds
/// the header names in file order (names may be empty, e.g. a pandas index column).
struct Table {
  std::vector<std::string> columns;
  Tensor values{DType::f64, Shape{0, 0}};

  int64_t rows() const { return values.rank() == 2 ? values.dim(0) : 0; }
  int64_t cols() const { return static_cast<int64_t>(columns.size()); }
};

/// Resolves a target spec to a 0-based column index: an exact column name first; otherwise
/// a non-negative decimal integer is a 0-based index; an empty spec means the last column.
/// Throws InvalidArgument naming the spec and listing the available columns when it matches
/// nothing.
int64_t column_index(const std::vector<std::string>& columns, const std::string& target);

/// Column `index` of the table as a [rows] tensor of `dtype`. Throws InvalidArgument if the
/// index is out of range.
Tensor column(const Table& table, int64_t index, DType dtype = DType::f64);

/// x = every column but the target ([rows, cols - 1]), y = the target column ([rows]),
/// both in `dtype`, with the names copied. `target` as in column_index. Throws
/// InvalidArgument for an unknown target or a table with a single column.
Dataset split_target(const Table& table, const std::string& target = "",
                     DType dtype = DType::f64);
/// The same with a 0-based column index.
Dataset split_target(const Table& table, int64_t target_index, DType dtype = DType::f64);

}  // namespace elbo::data
ELBO_API_END
