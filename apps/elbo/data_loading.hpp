#pragma once
// Reading the user's data file: CSV with a header row, or a 2-D NPY array whose columns
// are named c0..c{n-1}. Either way the result is a data::Table.
#include <string>
#include <vector>

#include "elbo/data/table.hpp"

namespace elbo::cli {

/// Reads `path` as NPY if it ends in ".npy" (any case), as CSV otherwise.
/// Throws FormatError naming the file (and line and column for CSV), or for an NPY array
/// that is not 2-D or holds a value that is not finite (naming its row and column).
data::Table read_table(const std::string& path);
/// Whether `path` names an NPY file (by its extension, any case).
bool is_npy_path(const std::string& path);

/// "a, b, c" (for messages).
std::string join_names(const std::vector<std::string>& names);

}  // namespace elbo::cli
