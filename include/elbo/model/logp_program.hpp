#pragma once
// A model's log p compiled once: for S flat unconstrained parameter vectors it computes
// varlogp and datalogp per sample and, on request, the gradient of their sum. It also
// loads each step's minibatches and knows PyMC's normalising constant for reporting the
// loss on the minibatch scale.
#include <span>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/program.hpp"
#include "elbo/model/model.hpp"

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

  /// PyMC's normalising constant: the largest total_size / rows among the observed
  /// variables at the current batch size (1 when none sets total_size).
  double normalizing_constant() const;

 private:
  const Model* model_;
  Program program_;
  int n_observed_ = 0;
  std::vector<double> seeds_;
};

}  // namespace elbo
ELBO_API_END
