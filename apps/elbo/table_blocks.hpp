#pragma once
// Reading the user's data file block by block of rows (CSV with a header row, or a 2-D NPY
// array with columns c0..c{n-1}), so that `elbo predict` and `elbo evaluate` hold one block
// of the data at a time, whatever its size. Each block is a data::Table with the file's
// columns; the blocks, one after another, are read_table's table.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "elbo/data/table.hpp"

namespace elbo::cli {

class TableBlocks {
 public:
  /// Opens `path` (NPY if it ends in ".npy", any case; CSV otherwise) and reads its header.
  /// Throws FormatError as read_table does: a file that cannot be opened, a bad header, no
  /// data rows, an NPY array that is not 2-D.
  explicit TableBlocks(const std::string& path);
  ~TableBlocks();
  TableBlocks(TableBlocks&&) noexcept;
  TableBlocks& operator=(TableBlocks&&) noexcept;

  /// Reads up to `rows` further rows into `out` (at least one); false, leaving `out` as it
  /// was, when none are left. Throws FormatError for a bad row, as read_table does (for NPY:
  /// a value that is not finite, naming its row and column in the file).
  bool next(int64_t rows, data::Table& out);
  /// Rows read before the block that the last next() returned: the file row of its first.
  int64_t first_row() const { return first_row_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  struct Reader;
  std::unique_ptr<Reader> reader_;
  std::string path_;
  std::vector<std::string> columns_;
  int64_t first_row_ = 0, rows_read_ = 0;
};

}  // namespace elbo::cli
