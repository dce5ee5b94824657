#include "blocked_logp.hpp"

#include <cmath>
#include <limits>

#include "elbo/graph/error.hpp"
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
  for (int64_t begin = 0; begin < rows; begin += B) {
    std::vector<Tensor> block;
    for (const Expr& e : inputs_) block.push_back(e.value()->rows(begin, std::min(rows, begin + B)));
    blocks_.push_back(std::move(block));
  }
}

template <class T>
void BlockedLogp::run(const T* theta, double* grad, double prior_weight) {
  const int64_t S = logp_->samples(), D = logp_->flat_size(), SD = S * D;
  sums_.assign(static_cast<size_t>(SD + 2 * S + 2), FixedPoint{0});
  block_grad_.resize(static_cast<size_t>(SD));
  if constexpr (std::is_same_v<T, float>) block_grad32_.resize(static_cast<size_t>(SD));
  FixedPoint& misfits = sums_[static_cast<size_t>(SD + 2 * S)];
  auto add_scalar = [&](size_t at, double v) {
    if (fits_fixed_point(v))
      sums_[at] += to_fixed_point(v);
    else
      misfits += 1;
  };
  for (size_t b = 0; b < blocks_.size(); ++b) {
    for (size_t k = 0; k < inputs_.size(); ++k) logp_->program().set_data(inputs_[k], blocks_[b][k]);
    const bool prior = options_.first_block + static_cast<int64_t>(b) == 0;
    if constexpr (std::is_same_v<T, float>) {
      logp_->run(theta, block_grad32_.data(), prior ? prior_weight : 0.0);
      for (int64_t i = 0; i < SD; ++i) block_grad_[static_cast<size_t>(i)] = block_grad32_[static_cast<size_t>(i)];
    } else {
      logp_->run(theta, block_grad_.data(), prior ? prior_weight : 0.0);
    }
    misfits += add_fixed_point(block_grad_, std::span<FixedPoint>(sums_.data(), static_cast<size_t>(SD)));
    for (int64_t s = 0; s < S; ++s) {
      add_scalar(static_cast<size_t>(SD + s), logp_->datalogp(s));
      if (prior) add_scalar(static_cast<size_t>(SD + S + s), logp_->varlogp(s));
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
  for (int64_t i = 0; i < SD; ++i) grad[i] = from_fixed_point(sums_[static_cast<size_t>(i)]);
  for (int64_t s = 0; s < S; ++s) {
    datalogp_[static_cast<size_t>(s)] = from_fixed_point(sums_[static_cast<size_t>(SD + s)]);
    varlogp_[static_cast<size_t>(s)] = from_fixed_point(sums_[static_cast<size_t>(SD + S + s)]);
  }
}

template void BlockedLogp::run<float>(const float*, double*, double);
template void BlockedLogp::run<double>(const double*, double*, double);

}  // namespace elbo
