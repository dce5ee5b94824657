#include "blocked_logp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"
#include "interrupt.hpp"

namespace elbo {

BlockedLogp::BlockedLogp(const Model& model, LogpProgram& logp, const DataParallelOptions& options)
    : logp_(&logp), options_(options) {
  if (!options_.communicator) throw InvalidArgument("data-parallel fit: no communicator");
  if (options_.block_rows < 1)
    throw InvalidArgument("data-parallel fit: block_rows must be >= 1, got " + std::to_string(options_.block_rows));
  if (options_.first_block < 0)
    throw InvalidArgument("data-parallel fit: first_block must be >= 0, got " + std::to_string(options_.first_block));
  if (!model.batch_sources().empty())
    throw InvalidArgument("data-parallel fit: the model draws minibatches; data-parallel fitting is full-batch only");
  for (const auto& v : model.observed_variables())
    if (v.options.total_size > 0 || !v.options.total_size_per_dim.empty())
      throw InvalidArgument("data-parallel fit: observed variable '" + v.name +
                            "' sets total_size; the blocks' log-likelihoods are summed as they are");
  if (options_.row_data.empty()) throw InvalidArgument("data-parallel fit: row_data names no data container");
  int64_t rows = -1;
  for (const auto& name : options_.row_data) {
    Expr e = model[name];
    if (!e.is_data()) throw InvalidArgument("data-parallel fit: '" + name + "' is not a data container");
    const Tensor& value = *e.value();
    if (value.rank() < 1) throw InvalidArgument("data-parallel fit: data container '" + name + "' has no rows");
    if (rows >= 0 && value.dim(0) != rows)
      throw ShapeError("data-parallel fit: data container '" + name + "' has " + std::to_string(value.dim(0)) +
                       " rows, '" + options_.row_data[0] + "' " + std::to_string(rows));
    rows = value.dim(0);
    inputs_.push_back(e);
  }
  const int64_t B = options_.block_rows;
  local_rows_ = rows;
  first_row_ = options_.first_block * B;
  if (options_.batch_rows > 0) {
    if (options_.total_rows < 1 || options_.total_rows < first_row_ + rows)
      throw InvalidArgument("data-parallel fit: total_rows is " + std::to_string(options_.total_rows) +
                            ", fewer than this process's last row " + std::to_string(first_row_ + rows));
    if (options_.total_rows > (int64_t{1} << 32))
      throw InvalidArgument("data-parallel fit: minibatches draw from at most 2^32 rows");
    for (const Expr& e : inputs_) local_.push_back(*e.value());
    scale_ = static_cast<double>(options_.total_rows) / static_cast<double>(options_.batch_rows);
    return;
  }
  for (int64_t begin = 0; begin < rows; begin += B) {
    std::vector<Tensor> block;
    for (const Expr& e : inputs_) block.push_back(e.value()->rows(begin, std::min(rows, begin + B)));
    blocks_.push_back(std::move(block));
  }
}

template <class T>
void BlockedLogp::add_run(const T* theta, double prior_weight, bool prior) {
  const int64_t S = logp_->samples(), D = logp_->flat_size(), SD = S * D;
  if constexpr (std::is_same_v<T, float>) {
    logp_->run(theta, block_grad32_.data(), prior ? prior_weight : 0.0);
    for (int64_t i = 0; i < SD; ++i) block_grad_[static_cast<size_t>(i)] = block_grad32_[static_cast<size_t>(i)];
  } else {
    logp_->run(theta, block_grad_.data(), prior ? prior_weight : 0.0);
  }
  FixedPoint& misfits = sums_[static_cast<size_t>(SD + 2 * S)];
  misfits += add_fixed_point(block_grad_, std::span<FixedPoint>(sums_.data(), static_cast<size_t>(SD)));
  auto add_scalar = [&](size_t at, double v) {
    if (fits_fixed_point(v))
      sums_[at] += to_fixed_point(v);
    else
      misfits += 1;
  };
  for (int64_t s = 0; s < S; ++s) {
    add_scalar(static_cast<size_t>(SD + s), logp_->datalogp(s));
    if (prior) add_scalar(static_cast<size_t>(SD + S + s), logp_->varlogp(s));
  }
}

namespace {
constexpr uint64_t kBatchStream = 7;  // a data-parallel fit's minibatch rows
int64_t bounded(uint32_t bits, int64_t n) {
  return static_cast<int64_t>((static_cast<uint64_t>(bits) * static_cast<uint64_t>(n)) >> 32);
}
}  // namespace

template <class T>
void BlockedLogp::run(const T* theta, double* grad, double prior_weight, uint64_t step) {
  const int64_t S = logp_->samples(), D = logp_->flat_size(), SD = S * D;
  sums_.assign(static_cast<size_t>(SD + 2 * S + 2), FixedPoint{0});
  block_grad_.resize(static_cast<size_t>(SD));
  if constexpr (std::is_same_v<T, float>) block_grad32_.resize(static_cast<size_t>(SD));
  if (options_.batch_rows == 0) {
    for (size_t b = 0; b < blocks_.size(); ++b) {
      for (size_t k = 0; k < inputs_.size(); ++k) logp_->program().set_data(inputs_[k], blocks_[b][k]);
      add_run(theta, prior_weight, options_.first_block + static_cast<int64_t>(b) == 0);
    }
  } else {
    // Every process draws the same rows; each runs, block by block in block order, the
    // draws that fall in its blocks, in the order drawn. The first block drawn from carries
    // the prior, at weight batch / total so that the scaling below restores it.
    const int64_t M = options_.batch_rows, N = options_.total_rows, B = options_.block_rows;
    bits_.resize(static_cast<size_t>(M));
    drawn_.resize(static_cast<size_t>(M));
    Philox(options_.batch_seed).bits(bits_.data(), M, kBatchStream, step);
    int64_t first_block_drawn = N;
    for (int64_t i = 0; i < M; ++i) {
      drawn_[static_cast<size_t>(i)] = bounded(bits_[static_cast<size_t>(i)], N);
      first_block_drawn = std::min(first_block_drawn, drawn_[static_cast<size_t>(i)] / B);
    }
    // This process's draws, grouped by block in one stable sort (the drawn order within a
    // block is kept), then one run per block.
    local_drawn_.clear();
    for (int64_t row : drawn_)
      if (row >= first_row_ && row < first_row_ + local_rows_) local_drawn_.push_back(row);
    std::stable_sort(local_drawn_.begin(), local_drawn_.end(),
                     [B](int64_t a, int64_t b) { return a / B < b / B; });
    for (size_t i = 0; i < local_drawn_.size();) {
      const int64_t block = local_drawn_[i] / B;
      rows_.clear();
      for (; i < local_drawn_.size() && local_drawn_[i] / B == block; ++i) rows_.push_back(local_drawn_[i] - first_row_);
      for (size_t k = 0; k < inputs_.size(); ++k) logp_->program().set_data_rows(inputs_[k], local_[k], rows_);
      add_run(theta, prior_weight / scale_, block == first_block_drawn);
    }
  }
  sums_.back() = detail::InterruptGuard::interrupted() ? 1 : 0;
  options_.communicator->allreduce_sum(sums_);
  stop_requested_ = sums_.back() != 0;
  varlogp_.resize(static_cast<size_t>(S));
  datalogp_.resize(static_cast<size_t>(S));
  if (sums_[static_cast<size_t>(SD + 2 * S)] != 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::fill(grad, grad + SD, nan);
    std::fill(varlogp_.begin(), varlogp_.end(), nan);
    std::fill(datalogp_.begin(), datalogp_.end(), nan);
    return;
  }
  for (int64_t i = 0; i < SD; ++i) grad[i] = from_fixed_point(sums_[static_cast<size_t>(i)]) * scale_;
  for (int64_t s = 0; s < S; ++s) {
    datalogp_[static_cast<size_t>(s)] = from_fixed_point(sums_[static_cast<size_t>(SD + s)]) * scale_;
    varlogp_[static_cast<size_t>(s)] = from_fixed_point(sums_[static_cast<size_t>(SD + S + s)]);
  }
}

template void BlockedLogp::run<float>(const float*, double*, double, uint64_t);
template void BlockedLogp::run<double>(const double*, double*, double, uint64_t);

}  // namespace elbo
