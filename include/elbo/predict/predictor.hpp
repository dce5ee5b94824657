#pragma once
// A compiled predictor: any model expression evaluated for n posterior draws at replaced
// data in one batched program (the tutorial's approx.sample_node(p, size=n,
// more_replacements={x: X_new})), plus a mean-only mode at z = the mean of q. After the
// first call at a given draw count and row count, run() allocates nothing.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "elbo/graph/program.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"

namespace elbo {

struct PredictorOptions {
  int threads = 1;
  uint64_t seed = 0;  ///< draws come from Philox(seed), one counter per call
};

class Predictor {
 public:
  /// `replaceable` are data containers of the model whose values each call supplies.
  Predictor(const Model& model, const Approximation& q, Expr expr, std::vector<Expr> replaceable,
            PredictorOptions options = {});

  /// expr for `draws` fresh posterior draws: [draws, ...shape] (or [...shape] when expr
  /// does not depend on the parameters). data[i] replaces replaceable[i].
  Tensor operator()(const std::vector<Tensor>& data, int64_t draws);
  /// expr at z = mean of q: [...shape].
  Tensor mean(const std::vector<Tensor>& data);

  /// The allocation-free path: evaluates, leaving the result in values(). Data must be in
  /// the model's dtype.
  void run(std::span<const Tensor* const> data, int64_t draws);
  /// Result of the last run() in the engine's internal layout (row-major for results of
  /// rank <= 1 per draw, e.g. [draws, rows] probabilities).
  template <class T>
  std::span<const T> values() const {
    return program_.output_values<T>(0);
  }
  const Shape& shape() const { return program_.output_shape(0); }
  Program& program() { return program_; }

 private:
  void load(std::span<const Tensor* const> data);
  const Model* model_;
  const Approximation* q_;
  std::vector<Expr> replaceable_;
  PredictorOptions options_;
  Program program_;
  uint64_t calls_ = 0;
  std::vector<double> eps_, z_;
  std::vector<float> z32_;
  std::vector<int64_t> rows_;
};

}  // namespace elbo
