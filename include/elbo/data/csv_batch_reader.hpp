#pragma once
// Reading a CSV file in batches of rows, for data larger than memory.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "elbo/data/csv.hpp"
#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo::data {

/// Reads a CSV file line by line; only the current batch is held in memory. Accepts and
/// rejects exactly what read_csv does, with the same messages (file:line:column), and
/// returns the same numbers; errors in a data row surface from the next() that reaches it.
class CsvBatchReader {
 public:
  /// Opens `path` and reads the header. Throws FormatError if the file cannot be opened, is
  /// empty, has a bad header or no data rows.
  explicit CsvBatchReader(const std::string& path, const CsvOptions& options = {});
  ~CsvBatchReader();
  CsvBatchReader(CsvBatchReader&&) noexcept;
  CsvBatchReader& operator=(CsvBatchReader&&) noexcept;

  /// Reads up to `batch_rows` further rows into `x_out` as float64 [b, cols()], 1 <= b <=
  /// batch_rows (the last batch may be smaller). Returns false, leaving x_out unchanged,
  /// when no rows are left. Throws InvalidArgument if batch_rows < 1, FormatError for a bad
  /// row (the rows before it in the batch are lost).
  bool next(int64_t batch_rows, Tensor& x_out);
  /// Rewinds to the first data row.
  void reset();
  /// Counts the data rows of the whole file without parsing numbers (one pass through the
  /// file); the read position is kept.
  int64_t count_rows();

  const std::vector<std::string>& columns() const;
  int64_t cols() const { return static_cast<int64_t>(columns().size()); }
  const std::string& path() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace elbo::data
ELBO_API_END
