#pragma once
// Callbacks run after every optimisation step; any of them can stop the fit.
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

/// What a callback sees after step `step` (1-based, counted over all fit calls).
struct StepInfo {
  const Approximation& approximation;
  std::span<const double> hist;  ///< every loss so far
  int64_t step;
  int64_t fit_step;   ///< steps done in this fit call
  int64_t fit_total;  ///< steps asked of this fit call
};

class Callback {
 public:
  virtual ~Callback() = default;
  /// Returns false to stop the fit after this step. `reason` can be set for the log.
  virtual bool operator()(const StepInfo& info, std::string& reason) = 0;
  /// Called when a fit call starts.
  virtual void on_fit_start() {}
  /// What the callback has learnt from the steps so far, as numbers a checkpoint can
  /// store; empty for a callback without state.
  virtual std::vector<double> saved_state() const { return {}; }
  /// Returns to a state saved_state() gave (of a callback with the same options), as if
  /// the steps it saw had been run again. Throws InvalidArgument for a state it cannot
  /// have given.
  virtual void restore_state(std::span<const double> state);
};

/// PyMC's CheckParametersConvergence: every `every` steps, the inf-norm (or another
/// order) of the change of the variational parameters since the last check, relative to
/// their previous values or absolute, below `tolerance` stops the fit.
class CheckParametersConvergence : public Callback {
 public:
  struct Options {
    int64_t every = 100;
    double tolerance = 1e-3;
    bool relative = true;
    double ord = std::numeric_limits<double>::infinity();  ///< norm order: inf, 1, 2, ...
  };
  CheckParametersConvergence() : CheckParametersConvergence(Options{}) {}
  explicit CheckParametersConvergence(Options options);
  bool operator()(const StepInfo& info, std::string& reason) override;
  void on_fit_start() override { prev_.clear(); }
  /// The parameters of the last check (empty before the first).
  std::vector<double> saved_state() const override { return prev_; }
  void restore_state(std::span<const double> state) override;

 private:
  Options o_;
  std::vector<double> prev_;
};

/// Stan's ELBO convergence test: every eval_elbo steps the ELBO is estimated (here: the
/// mean of the last eval_elbo losses, negated), its relative change is pushed into a
/// circular buffer, and the fit stops once the buffer's mean or median falls below
/// tol_rel_obj.
class ElboConvergence : public Callback {
 public:
  struct Options {
    int64_t eval_elbo = 100;
    double tol_rel_obj = 0.01;
    /// Buffer size; 0 means Stan's max(0.1 * max_iterations / eval_elbo, 2).
    int64_t buffer = 0;
  };
  ElboConvergence() : ElboConvergence(Options{}) {}
  explicit ElboConvergence(Options options);
  bool operator()(const StepInfo& info, std::string& reason) override;
  void on_fit_start() override {
    changes_.clear();
    have_prev_ = false;
  }
  /// {} before the first estimate; else {previous ELBO, relative changes in the buffer...}.
  std::vector<double> saved_state() const override;
  void restore_state(std::span<const double> state) override;

 private:
  Options o_;
  std::vector<double> changes_;
  double prev_ = 0;
  bool have_prev_ = false;
};

/// Records named values every `every` steps (PyMC's Tracker).
class Tracker : public Callback {
 public:
  using Fn = std::function<double(const Approximation&)>;
  explicit Tracker(std::map<std::string, Fn> fns, int64_t every = 1);
  bool operator()(const StepInfo& info, std::string& reason) override;
  const std::vector<double>& operator[](const std::string& name) const;
  const std::vector<int64_t>& steps() const { return steps_; }

 private:
  std::map<std::string, Fn> fns_;
  int64_t every_;
  std::map<std::string, std::vector<double>> values_;
  std::vector<int64_t> steps_;
};

/// Any function as a callback; return false to stop.
class LambdaCallback : public Callback {
 public:
  explicit LambdaCallback(std::function<bool(const StepInfo&)> fn) : fn_(std::move(fn)) {}
  bool operator()(const StepInfo& info, std::string&) override { return fn_(info); }

 private:
  std::function<bool(const StepInfo&)> fn_;
};

}  // namespace elbo
ELBO_API_END
