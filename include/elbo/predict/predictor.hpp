#pragma once
// A compiled predictor: any model expression evaluated for n posterior draws at replaced
// data in one batched program (the tutorial's approx.sample_node(p, size=n,
// more_replacements={x: X_new})), plus a mean-only mode at z = the mean of q. After the
// first call at a given draw count and row count, run() allocates nothing.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/shape.hpp"
#include "elbo/graph/tensor.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

struct PredictorOptions {
  int threads = 1;
  uint64_t seed = 0;  ///< draws come from Philox(seed), one counter per call
  /// A call for n draws makes draws first_draw .. first_draw + n - 1 of its counter's
  /// sequence: the draws of one large call can be made in groups, with bounded memory,
  /// by predictors that differ only in first_draw.
  int64_t first_draw = 0;
};

class Predictor {
 public:
  /// `replaceable` are data containers of the model whose values each call supplies.
  Predictor(const Model& model, const Approximation& q, Expr expr, std::vector<Expr> replaceable,
            PredictorOptions options = {});
  Predictor(Predictor&&) noexcept;
  Predictor& operator=(Predictor&&) noexcept;
  ~Predictor();

  /// expr for `draws` fresh posterior draws: [draws, ...shape] (or [...shape] when expr
  /// does not depend on the parameters). data[i] replaces replaceable[i].
  Tensor operator()(const std::vector<Tensor>& data, int64_t draws);
  /// expr at z = mean of q: [...shape].
  Tensor mean(const std::vector<Tensor>& data);
  /// The next call makes the draws that a new predictor with options.first_draw =
  /// `first_draw` makes at its first call, without compiling anew or giving up its buffers:
  /// how groups of draws over chunks of rows reuse one predictor. InvalidArgument if
  /// first_draw < 0.
  void restart(int64_t first_draw);

  /// The allocation-free path: evaluates, leaving the result in values(). Data must be in
  /// the model's dtype.
  void run(std::span<const Tensor* const> data, int64_t draws);
  /// Result of the last run() in the engine's internal layout (row-major for results of
  /// rank <= 1 per draw, e.g. [draws, rows] probabilities). T is the model's dtype: float
  /// or double (InvalidArgument otherwise).
  template <class T>
  std::span<const T> values() const;
  /// Shape of the last run()'s result.
  const Shape& shape() const;

 private:
  // The compiled program, the draws and their buffers.
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

extern template std::span<const float> Predictor::values<float>() const;
extern template std::span<const double> Predictor::values<double>() const;

}  // namespace elbo
ELBO_API_END
