#pragma once
// Reading an .npy file in batches of rows, for data larger than memory.
#include <cstdint>
#include <memory>
#include <string>

#include "elbo/export.hpp"
#include "elbo/graph/dtype.hpp"
#include "elbo/graph/shape.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo::data {

/// Reads rows (slices along axis 0) of an .npy file by seeking to their offsets; only the
/// current batch is held in memory. Accepts what read_npy accepts, except rank 0, and
/// returns the same values (C or Fortran order).
class NpyBatchReader {
 public:
  /// Opens `path` and reads its header. Throws FormatError for what read_npy rejects
  /// (including a file shorter than its header promises) and for a rank-0 array.
  explicit NpyBatchReader(const std::string& path);
  ~NpyBatchReader();
  NpyBatchReader(NpyBatchReader&&) noexcept;
  NpyBatchReader& operator=(NpyBatchReader&&) noexcept;

  /// Reads up to `batch_rows` further rows into `x_out`, shape [b, shape()[1:]...] with
  /// 1 <= b <= batch_rows, dtype as read_npy gives. Returns false, leaving x_out unchanged,
  /// when no rows are left. Throws InvalidArgument if batch_rows < 1, FormatError on a read
  /// error.
  bool next(int64_t batch_rows, Tensor& x_out);
  /// Rewinds to the first row.
  void reset();
  /// The next batch starts at `row` (0 <= row <= rows(); InvalidArgument otherwise): how a
  /// process of a data-parallel fit reads only its rows.
  void seek(int64_t row);

  /// The full array's shape; shape()[0] is the number of rows.
  const Shape& shape() const;
  int64_t rows() const { return shape()[0]; }
  /// float32 for <f4 files, float64 otherwise.
  DType dtype() const;
  const std::string& path() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace elbo::data
ELBO_API_END
