#pragma once
// Minibatches from a stream, for data that does not fit in memory:
//  - GeneratorSource: a user callable returns each step's batch (the tutorial's pm.generator);
//  - FileBatchSource: successive batches of rows read from a CSV or NPY file on disk
//    without loading it, in file order, rewinding at the end of each epoch.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"
#include "elbo/model/batch_source.hpp"

ELBO_API_BEGIN
namespace elbo {

class GeneratorSource : public BatchSource {
 public:
  /// next(step) returns one tensor per input (same row count), in the model's dtype or
  /// convertible to it.
  using Next = std::function<std::vector<Tensor>(uint64_t step)>;
  GeneratorSource(std::vector<Expr> inputs, Next next, int64_t total_rows = 0);
  const std::vector<Expr>& inputs() const override { return inputs_; }
  void load(Program& program, uint64_t step) const override;
  int64_t total_rows() const override { return total_rows_; }

 private:
  std::vector<Expr> inputs_;
  Next next_;
  int64_t total_rows_;
};

struct FileBatchOptions {
  int64_t batch_size = 128;
  /// Column of the target (name or 0-based index; empty: the last column). The other
  /// columns are the features. NPY files name their columns c0, c1, ...
  std::string target = "";
};

class FileBatchSource : public BatchSource {
 public:
  /// inputs = {x, y}: x receives [b, features], y receives [b]. Batches follow the file's
  /// row order; step t reads batch t mod ceil(rows / batch_size); the last batch of an
  /// epoch may be smaller.
  FileBatchSource(const std::string& path, Expr x, Expr y, FileBatchOptions options);
  ~FileBatchSource() override;
  const std::vector<Expr>& inputs() const override { return inputs_; }
  void load(Program& program, uint64_t step) const override;
  int64_t total_rows() const override { return rows_; }
  /// The feature column names and the target name, in file order.
  const std::vector<std::string>& feature_names() const { return features_; }

 private:
  struct Reader;
  std::unique_ptr<Reader> reader_;  // the file position: work saved between steps
  std::vector<Expr> inputs_;
  FileBatchOptions options_;
  int64_t rows_ = 0, target_ = 0, per_epoch_ = 0;
  std::vector<std::string> features_;
  // Work saved between steps (BatchSource::load): the batch the reader is at, buffers.
  mutable std::mutex mutex_;
  mutable uint64_t next_batch_ = 0;
  mutable Tensor raw_, x_, y_;
};

}  // namespace elbo
ELBO_API_END
