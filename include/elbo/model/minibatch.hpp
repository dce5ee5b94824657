#pragma once
// Minibatches over aligned in-memory arrays (PyMC's pm.Minibatch): each step draws
// batch_size rows, the same rows from every array.
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/graph/tensor.hpp"
#include "elbo/model/batch_source.hpp"

ELBO_API_BEGIN
namespace elbo {

struct MinibatchOptions {
  int64_t batch_size = 128;
  /// false: rows drawn with replacement each step, as PyMC's Minibatch does.
  /// true: shuffled epochs without replacement; the last batch of an epoch may be smaller.
  bool epochs = false;
  /// With epochs: false keeps the rows in order (batch t is rows [tB, tB + B)), as a
  /// stream from a file would give them.
  bool shuffle = true;
  uint64_t seed = 0;
};

class ArrayMinibatch : public BatchSource {
 public:
  /// `arrays` share their row count; `inputs` are the model's data inputs they feed.
  ArrayMinibatch(std::vector<Tensor> arrays, std::vector<Expr> inputs, MinibatchOptions options);

  const std::vector<Expr>& inputs() const override { return inputs_; }
  void load(Program& program, uint64_t step) const override;
  int64_t total_rows() const override { return rows_; }
  /// The row indices of step `step` (what load() uses).
  std::vector<int64_t> rows_of_step(uint64_t step) const;

 private:
  std::vector<Tensor> arrays_;
  std::vector<Expr> inputs_;
  MinibatchOptions options_;
  int64_t rows_ = 0;
  Philox rng_;
  // Work saved between steps (BatchSource::load): the last batch's rows, the current
  // epoch's permutation, random words.
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();  // (a source stays movable)
  mutable std::vector<int64_t> batch_, perm_;
  mutable std::vector<uint32_t> bits_;
  mutable uint64_t perm_epoch_ = ~uint64_t{0};
  // rows_of_step() without the lock; the rows live in batch_ until the next call.
  std::span<const int64_t> rows_locked(uint64_t step) const;
};

}  // namespace elbo
ELBO_API_END
