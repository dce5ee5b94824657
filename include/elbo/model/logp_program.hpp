#pragma once
// A model's log p compiled once: for S flat unconstrained parameter vectors it computes
// varlogp and datalogp per sample and, on request, the gradient of their sum. It also
// loads each step's minibatches and knows PyMC's normalising constant for reporting the
// loss on the minibatch scale. A run of one sample can be split into blocks of rows on the
// program's threads (split_rows).
#include <span>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/program.hpp"
#include "elbo/model/model.hpp"
#include "elbo/model/row_data.hpp"

ELBO_API_BEGIN
namespace elbo {

class LogpProgram {
 public:
  explicit LogpProgram(const Model& model, ProgramOptions options = {});

  const Model& model() const { return *model_; }
  Program& program() { return program_; }
  int64_t flat_size() const { return program_.flat_size(); }
  void set_samples(int64_t samples) { program_.set_samples(samples); }
  int64_t samples() const { return program_.samples(); }
  void set_threads(int threads) { program_.set_threads(threads); }

  /// Loads minibatch `step` from every batch source of the model (no-op without sources).
  void load_batch(uint64_t step);

  /// Evaluates at theta ([S, D] row-major, T = the model's dtype). With `grad` non-null
  /// also writes d(prior_weight * varlogp + datalogp)/dtheta there ([S, D]).
  template <class T>
  void run(const T* theta, T* grad, double prior_weight = 1.0);

  /// Per-sample results of the last run.
  double varlogp(int64_t s) const;
  double datalogp(int64_t s) const;

  /// From now on, runs of one sample (samples() == 1) take the rows of `row_data` in
  /// row_blocks(rows) blocks, one compiled program each, on this program's threads: each
  /// block's gradient of its data part (the first's also of the prior), summed over the
  /// blocks in block order. The number of blocks and their rows follow from the row count
  /// alone, so the results are the same for any thread count (not the same bits as one
  /// run over all rows). The blocks are cut again when the model's data changes. The
  /// containers must pass row_data_of (InvalidArgument otherwise), the model must draw no
  /// minibatches, and its prior must not read them. Empty: one run over all rows again.
  void split_rows(const std::vector<Expr>& row_data);
  /// The blocks split_rows cuts `rows` rows into: the largest power of two at most
  /// min(8, rows / kRowsPerBlock), at least 1. A block of kRowsPerBlock rows of a
  /// network does several times the work of the per-parameter steps around it (summing
  /// the blocks' gradients, copying the parameters into each), so the split pays on two
  /// threads and costs little on one.
  static constexpr int64_t kRowsPerBlock = 512;
  static int64_t row_blocks(int64_t rows);
  /// The blocks of the last run (1: not split).
  int64_t blocks() const { return last_blocks_; }

  /// PyMC's normalising constant: the largest total_size / rows among the observed
  /// variables at the current batch size (1 when none sets total_size).
  double normalizing_constant() const;

 private:
  const Model* model_;
  Program program_;
  ProgramOptions options_;
  int n_observed_ = 0;
  std::vector<double> seeds_;
  // split_rows: the containers, the programs of the blocks (cut at the graph's data version
  // cut_version_), their gradients, and the last split run's results.
  std::vector<Expr> row_inputs_;
  std::vector<Program> blocks_;
  std::vector<std::vector<double>> block_seeds_;  // each block's output seeds
  uint64_t cut_version_ = ~uint64_t{0};
  std::vector<std::vector<float>> block_grad32_;
  std::vector<std::vector<double>> block_grad64_;
  int64_t last_blocks_ = 1;
  double split_varlogp_ = 0, split_datalogp_ = 0;
  // Cuts the blocks for the current data (none when it has too few rows).
  void cut_blocks();
  template <class T>
  void run_blocks(const T* theta, T* grad, double prior_weight);
};

}  // namespace elbo
ELBO_API_END
