#pragma once
// Stochastic optimizers with PyMC's names and defaults (pymc.variational.updates, which
// follow Lasagne). Each updates a flat parameter vector in place from its gradient of the
// loss (descent). State persists across calls, so fit() can continue where it stopped.
// The table of defaults is in docs/OPTIMIZERS.md.
#include <cstdint>
#include <limits>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/vi/parallel_for.hpp"

ELBO_API_BEGIN
namespace elbo {

struct OptimizerOptions {
  std::string name = "adagrad_window";
  /// Unset means "the optimizer's PyMC default".
  std::optional<double> learning_rate = std::nullopt;
  std::optional<double> epsilon = std::nullopt;
  double momentum = 0.9;                    ///< momentum, nesterov_momentum
  std::optional<double> rho = std::nullopt;  ///< rmsprop 0.9, adadelta 0.95
  double beta1 = 0.9, beta2 = 0.999;                      ///< adam, adamax
  int n_win = 10;                                         ///< adagrad_window
  /// If > 0, gradients are rescaled so that their total L2 norm is at most this
  /// (Lasagne's total_norm_constraint).
  double total_grad_norm_constraint = 0;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;
  /// Sizes the state for `n` parameters (called once before the first step).
  virtual void reset(int64_t n) = 0;
  /// One descent step: params -= update(grad). grad may be modified (norm constraint).
  virtual void step(std::span<double> params, std::span<double> grad) = 0;
  using ParallelFor = elbo::ParallelFor;  // parallel_for.hpp
  /// The same step with its per-parameter work split by `parallel`: every optimizer here
  /// updates each parameter from its own state alone, so the result is the same bits
  /// however the work is split. The default runs step(params, grad).
  virtual void step(std::span<double> params, std::span<double> grad, const ParallelFor& parallel) {
    (void)parallel;
    step(params, grad);
  }
  /// Adam's update of one step, for a kernel that fuses it into its own pass over the
  /// parameters (src/vi/mean_field_adam_step.cpp), a float32 fit's, which keeps Adam's
  /// moments in float: for parameter i with gradient g,
  ///   m[i] = b1 m[i] + (1 - b1) g;  v[i] = b2 v[i] + (1 - b2) g g;  p -= a m[i] / (sqrt(v[i]) + eps)
  /// with m and v pointing at float copies of the moments, rounded from the double ones
  /// when those changed since. Once the caller has applied it and calls
  /// commit_fused_step(), the step counts and the float values are the moments: state()
  /// and every later step see them widened, exactly, until reset() or set_state().
  struct AdamSingleStep {
    double b1, b2, eps, a;
    float* m;
    float* v;
  };
  /// The next step's AdamSingleStep, for Adam without a gradient-norm constraint (which
  /// needs the whole gradient first); nullopt for every other optimizer, and where a
  /// moment lies beyond float's range.
  virtual std::optional<AdamSingleStep> next_single_adam_step() { return std::nullopt; }
  /// Whether next_single_adam_step() gives a step: Adam without a gradient-norm constraint.
  virtual bool takes_fused_adam_step() const { return false; }
  virtual void commit_fused_step() {}
  double learning_rate() const { return lr_; }
  /// Schedules and step-size adaptation change the rate between steps.
  void set_learning_rate(double lr) { lr_ = lr; }
  double base_learning_rate() const { return base_lr_; }
  /// The optimizer's state, flat (for checkpoints), and its restoration.
  virtual std::vector<double> state() const = 0;
  virtual void set_state(std::span<const double> state) = 0;

 protected:
  double lr_ = 0, base_lr_ = 0;
};

/// Creates an optimizer by PyMC name: sgd, momentum, nesterov_momentum, adagrad,
/// adagrad_window, rmsprop, adadelta, adam, adamax. Throws InvalidArgument for an unknown
/// name ("optimizer: unknown name 'adamw'; choose one of ...") or a bad option (a NaN,
/// infinite or non-positive learning rate names the optimizer and the value).
std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options);

/// The names make_optimizer accepts.
std::vector<std::string> optimizer_names();

}  // namespace elbo
ELBO_API_END
