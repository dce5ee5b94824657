#include "elbo/model/stream_source.hpp"

#include "elbo/data/csv_batch_reader.hpp"
#include "elbo/data/npy_batch_reader.hpp"
#include "elbo/data/table.hpp"
#include "elbo/graph/program.hpp"

namespace elbo {

GeneratorSource::GeneratorSource(std::vector<Expr> inputs, Next next, int64_t total_rows)
    : inputs_(std::move(inputs)), next_(std::move(next)), total_rows_(total_rows) {
  if (!next_) throw InvalidArgument("GeneratorSource: the callable is empty");
  if (inputs_.empty()) throw InvalidArgument("GeneratorSource: no inputs given");
}

void GeneratorSource::load(Program& program, uint64_t step) const {
  std::vector<Tensor> batch = next_(step);
  if (batch.size() != inputs_.size())
    throw InvalidArgument("GeneratorSource: the callable returned " + std::to_string(batch.size()) +
                          " tensors for " + std::to_string(inputs_.size()) + " inputs at step " + std::to_string(step));
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i > 0 && (batch[i].rank() == 0 || batch[0].rank() == 0 || batch[i].shape()[0] != batch[0].shape()[0]))
      throw ShapeError("GeneratorSource: the tensors of step " + std::to_string(step) + " differ in their row count");
    program.set_data(inputs_[i], batch[i]);
  }
}

struct FileBatchSource::Reader {
  std::unique_ptr<data::CsvBatchReader> csv;
  std::unique_ptr<data::NpyBatchReader> npy;
  bool next(int64_t b, Tensor& out) { return csv ? csv->next(b, out) : npy->next(b, out); }
  void reset() { csv ? csv->reset() : npy->reset(); }
};

FileBatchSource::FileBatchSource(const std::string& path, Expr x, Expr y, FileBatchOptions options)
    : reader_(std::make_unique<Reader>()), inputs_{x, y}, options_(std::move(options)) {
  if (options_.batch_size < 1)
    throw InvalidArgument("FileBatchSource: argument 'batch_size' is " + std::to_string(options_.batch_size) +
                          ", but must be >= 1");
  std::vector<std::string> columns;
  bool is_npy = path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
  if (is_npy) {
    reader_->npy = std::make_unique<data::NpyBatchReader>(path);
    if (reader_->npy->shape().size() != 2)
      throw FormatError(path + ": expected a 2-D array [rows, columns], found shape " +
                        shape_str(reader_->npy->shape()));
    rows_ = reader_->npy->rows();
    for (int64_t c = 0; c < reader_->npy->shape()[1]; ++c) {
      std::string name = "c";  // (not "c" + ...: GCC 12 reports a false -Wrestrict there)
      name += std::to_string(c);
      columns.push_back(std::move(name));
    }
  } else {
    reader_->csv = std::make_unique<data::CsvBatchReader>(path);
    rows_ = reader_->csv->count_rows();
    columns = reader_->csv->columns();
  }
  if (columns.size() < 2) throw FormatError(path + ": needs at least one feature column and a target column");
  target_ = options_.target.empty() ? static_cast<int64_t>(columns.size()) - 1
                                    : data::column_index(columns, options_.target);
  for (size_t c = 0; c < columns.size(); ++c)
    if (static_cast<int64_t>(c) != target_) features_.push_back(columns[c]);
  features_.push_back(columns[static_cast<size_t>(target_)]);
  per_epoch_ = (rows_ + options_.batch_size - 1) / options_.batch_size;
}

FileBatchSource::~FileBatchSource() = default;

void FileBatchSource::load(Program& program, uint64_t step) const {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t batch = static_cast<uint64_t>(step % static_cast<uint64_t>(per_epoch_));
  if (batch != next_batch_) {  // a jump (a resumed fit): rewind and skip to that batch
    reader_->reset();
    for (uint64_t b = 0; b < batch; ++b) reader_->next(options_.batch_size, raw_);
  }
  if (!reader_->next(options_.batch_size, raw_)) {
    reader_->reset();
    reader_->next(options_.batch_size, raw_);
  }
  next_batch_ = (batch + 1) % static_cast<uint64_t>(per_epoch_);
  if (batch + 1 == static_cast<uint64_t>(per_epoch_)) reader_->reset();
  int64_t b = raw_.shape()[0], cols = raw_.shape()[1], f = cols - 1;
  DType d = inputs_[0].dtype();
  if (x_.dtype() != d || x_.rank() != 2 || x_.shape()[0] != b) {
    x_ = Tensor(d, {b, f});
    y_ = Tensor(d, {b});
  }
  for (int64_t r = 0; r < b; ++r) {
    int64_t k = 0;
    for (int64_t c = 0; c < cols; ++c) {
      double v = raw_[r * cols + c];
      if (c == target_)
        y_.set(r, v);
      else
        x_.set(r * f + k++, v);
    }
  }
  program.set_data(inputs_[0], x_);
  program.set_data(inputs_[1], y_);
}

}  // namespace elbo
