#pragma once
// log p of a data-parallel fit (DataParallelOptions): this process's blocks of rows run
// through the model's compiled log p one after another; their gradients, log-likelihoods
// (and block 0's prior) are added in fixed point and summed over the processes with one
// allreduce. Every process ends with the same values, whatever the number of processes.
#include <cstdint>
#include <memory>
#include <vector>

#include "elbo/graph/graph.hpp"
#include "elbo/graph/tensor.hpp"
#include "elbo/model/logp_program.hpp"
#include "elbo/vi/communicator.hpp"
#include "elbo/vi/inference.hpp"

namespace elbo {

class BlockedLogp {
 public:
  /// Checks the model (no minibatch sources, no total_size) and the options (the row_data
  /// containers exist and share their row count), and cuts the rows into blocks.
  BlockedLogp(const Model& model, LogpProgram& logp, const DataParallelOptions& options);

  /// The gradient of prior_weight * varlogp + datalogp at theta ([S, D], T the model's
  /// dtype) into grad ([S, D]), summed over every block of every process; NaN everywhere
  /// when some block's value is not finite (or too large for fixed point).
  /// `step` picks a minibatch's rows (the fit's step index, so that a resumed fit draws
  /// what it would have drawn).
  template <class T>
  void run(const T* theta, double* grad, double prior_weight, uint64_t step);
  double varlogp(int64_t s) const { return varlogp_[static_cast<size_t>(s)]; }
  double datalogp(int64_t s) const { return datalogp_[static_cast<size_t>(s)]; }
  /// The loss's scale, PyMC's normalising constant: total_rows / batch_rows for
  /// minibatches, else 1.
  double normalizing_constant() const { return scale_; }
  /// Blocks held by this process.
  int64_t blocks() const { return static_cast<int64_t>(blocks_.size()); }
  /// Whether some process had been interrupted (Ctrl-C) by the last run's allreduce: the
  /// same answer on every process, so all stop after the same step.
  bool stop_requested() const { return stop_requested_; }

 private:
  LogpProgram* logp_;
  DataParallelOptions options_;
  std::vector<Expr> inputs_;                 // the row_data containers
  std::vector<std::vector<Tensor>> blocks_;  // [block][input]
  std::vector<FixedPoint> sums_;  // [S*D gradient, S datalogp, S varlogp, misfits, interrupted]
  bool stop_requested_ = false;
  std::vector<double> varlogp_, datalogp_, block_grad_;
  std::vector<float> block_grad32_;
  // Minibatches: this process's rows whole, the scale, and each step's draws grouped by block.
  std::vector<Tensor> local_;
  int64_t local_rows_ = 0, first_row_ = 0;
  double scale_ = 1.0;
  std::vector<uint32_t> bits_;
  std::vector<int64_t> drawn_, local_drawn_, rows_;
  // Runs log p on the rows now set and adds it to the sums (the prior's when `prior`).
  template <class T>
  void add_run(const T* theta, double prior_weight, bool prior);
};

}  // namespace elbo
