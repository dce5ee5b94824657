#include "data_loading.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "elbo/data/csv.hpp"
#include "table_blocks.hpp"

namespace elbo::cli {

namespace {

bool ends_with_npy(const std::string& path) {
  if (path.size() < 4) return false;
  std::string ext = path.substr(path.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".npy";
}

// The whole array as TableBlocks' one block: the same checks and messages as predict's and
// evaluate's block-by-block reading.
data::Table table_from_npy(const std::string& path) {
  TableBlocks blocks(path);
  data::Table table;
  blocks.next(std::numeric_limits<int64_t>::max(), table);  // the header check ensures a row
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
