#include "elbo/model/minibatch.hpp"

#include <algorithm>

namespace elbo {

namespace {
constexpr uint64_t kRowStream = 0x6d62;  // "mb": rows drawn with replacement
constexpr uint64_t kPermStream = 0x7065;  // "pe": epoch permutations

int64_t bounded(uint32_t bits, int64_t n) {
  return static_cast<int64_t>((static_cast<uint64_t>(bits) * static_cast<uint64_t>(n)) >> 32);
}
}  // namespace

ArrayMinibatch::ArrayMinibatch(std::vector<Tensor> arrays, std::vector<Expr> inputs, MinibatchOptions options)
    : arrays_(std::move(arrays)), inputs_(std::move(inputs)), options_(options), rng_(options.seed) {
  if (arrays_.empty()) throw InvalidArgument("Minibatch: no arrays given");
  if (arrays_.size() != inputs_.size())
    throw InvalidArgument("Minibatch: " + std::to_string(arrays_.size()) + " arrays for " +
                          std::to_string(inputs_.size()) + " data inputs");
  rows_ = arrays_[0].rank() ? arrays_[0].shape()[0] : 0;
  for (size_t i = 0; i < arrays_.size(); ++i) {
    if (arrays_[i].rank() == 0 || arrays_[i].shape()[0] != rows_)
      throw ShapeError("Minibatch: array " + std::to_string(i) + " has shape " + shape_str(arrays_[i].shape()) +
                       ", but every array must have " + std::to_string(rows_) + " rows like array 0");
  }
  if (rows_ == 0) throw InvalidArgument("Minibatch: the arrays have no rows");
  if (options_.batch_size < 1)
    throw InvalidArgument("Minibatch: argument 'batch_size' is " + std::to_string(options_.batch_size) +
                          ", but must be >= 1");
  if (options_.batch_size > rows_)
    throw InvalidArgument("Minibatch: argument 'batch_size' is " + std::to_string(options_.batch_size) +
                          ", but the data has only " + std::to_string(rows_) + " rows");
  batch_.reserve(static_cast<size_t>(options_.batch_size));
  bits_.resize(static_cast<size_t>(std::max(options_.batch_size, options_.epochs ? rows_ : 0)));
  if (options_.epochs) perm_.resize(static_cast<size_t>(rows_));
}

std::vector<int64_t> ArrayMinibatch::rows_of_step(uint64_t step) const {
  std::lock_guard<std::mutex> lock(*mutex_);
  auto rows = rows_locked(step);
  return {rows.begin(), rows.end()};
}

std::span<const int64_t> ArrayMinibatch::rows_locked(uint64_t step) const {
  int64_t B = options_.batch_size;
  if (!options_.epochs) {
    batch_.resize(static_cast<size_t>(B));
    rng_.bits(bits_.data(), B, kRowStream, step);
    for (int64_t i = 0; i < B; ++i) batch_[i] = bounded(bits_[i], rows_);
    return batch_;
  }
  uint64_t per_epoch = static_cast<uint64_t>((rows_ + B - 1) / B);
  uint64_t epoch = step / per_epoch, j = step % per_epoch;
  if (epoch != perm_epoch_) {  // Fisher-Yates with this epoch's random words
    for (int64_t i = 0; i < rows_; ++i) perm_[i] = i;
    if (options_.shuffle) {
      rng_.bits(bits_.data(), rows_, kPermStream, epoch);
      for (int64_t i = rows_ - 1; i > 0; --i) std::swap(perm_[i], perm_[bounded(bits_[i], i + 1)]);
    }
    perm_epoch_ = epoch;
  }
  int64_t begin = static_cast<int64_t>(j) * B, end = std::min(rows_, begin + B);
  batch_.assign(perm_.begin() + begin, perm_.begin() + end);
  return batch_;
}

void ArrayMinibatch::load(Program& program, uint64_t step) const {
  std::lock_guard<std::mutex> lock(*mutex_);
  auto rows = rows_locked(step);
  for (size_t i = 0; i < arrays_.size(); ++i) program.set_data_rows(inputs_[i], arrays_[i], rows);
}

}  // namespace elbo
