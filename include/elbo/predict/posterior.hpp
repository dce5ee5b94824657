#pragma once
// What a fitted approximation offers for results: draws (a Trace), posterior predictive
// draws of the observed variables, and compiled predictors.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/model/model.hpp"
#include "elbo/predict/predictor.hpp"
#include "elbo/predict/trace.hpp"
#include "elbo/vi/approximation.hpp"
#include "elbo/vi/inference.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Posterior::sample's options.
struct SampleOptions {
  /// Pareto-smoothed importance resampling (PSIS; elbo/vi/approximation_check.hpp): draw
  /// `candidates` from q, weight them by their smoothed ratios p/q on the model's data, and
  /// resample `draws` of them, with replacement, in proportion to the weights. This corrects
  /// q towards the posterior when its PSIS k-hat is below 0.7; at or above 0.7 the weights
  /// cannot be trusted and sample throws NumericalError naming k-hat. The model must hold
  /// all its data (no minibatch sources).
  bool psis = false;
  /// Draws from q to resample from (0: max(1000, 4 draws)); at least 25.
  int64_t candidates = 0;
};

class Posterior {
 public:
  Posterior(const Model& model, const Approximation& q) : model_(&model), q_(&q) {}
  explicit Posterior(const Inference& inference) : Posterior(inference.model(), inference.approximation()) {}

  /// `draws` draws from q: every free variable (constrained) and deterministic, by name,
  /// [draws, ...shape] (PyMC's approx.sample). Deterministics use the model's current data.
  Trace sample(int64_t draws, uint64_t seed = 0) const;
  /// The same, or PSIS-resampled draws (SampleOptions::psis).
  Trace sample(int64_t draws, uint64_t seed, const SampleOptions& options) const;

  /// Posterior predictive draws of the observed variables (PyMC's sample_ppc), one trace
  /// draw at a time: the slow path. `replacements` set data containers first (e.g. the
  /// test inputs). Result: name -> [draws, ...data shape].
  std::map<std::string, Tensor> sample_posterior_predictive(const Trace& trace,
                                                            const std::vector<std::pair<Expr, Tensor>>& replacements = {},
                                                            uint64_t seed = 0,
                                                            const std::vector<std::string>& var_names = {}) const;

  /// A compiled predictor of `expr` with `replaceable` data containers.
  Predictor predictor(Expr expr, std::vector<Expr> replaceable = {}, PredictorOptions options = {}) const {
    return Predictor(*model_, *q_, expr, std::move(replaceable), options);
  }

  const Model& model() const { return *model_; }
  const Approximation& approximation() const { return *q_; }

 private:
  /// The trace of given unconstrained draws theta [draws, D].
  Trace trace_of(Tensor theta) const;
  const Model* model_;
  const Approximation* q_;
};

}  // namespace elbo
ELBO_API_END
