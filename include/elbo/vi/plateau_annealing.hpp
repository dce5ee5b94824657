#pragma once
// Learning-rate annealing on plateaus of a noisy loss, and the convergence test it gives.
//
// Every `window` steps the mean loss of the last window is compared with that of the best
// window since the last cut. The comparison copes with minibatch and Monte Carlo noise: a
// window's standard error is that of its mean from `batches` equal batch means (the
// method of batch means, which allows for the correlation of neighbouring steps), and an
// improvement counts only when it exceeds `z` standard errors of the difference and
// `rtol` |best mean|. After `patience` windows without one the learning rate is multiplied
// by `factor` (a cut); once `cuts` cuts have been made, the next plateau means the fit has
// converged: lowering the rate further no longer lowers the loss beyond its noise.
//
// One object is both the fit's schedule (FitOptions::schedule) and a callback (in
// FitOptions::callbacks): the callback makes the test after each step and, when
// `stop_when_converged`, stops the fit; the schedule returns base * the current scale.
// Its state spans fit calls and is saved in checkpoints (saved_state).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/vi/callback.hpp"
#include "elbo/vi/schedule.hpp"

ELBO_API_BEGIN
namespace elbo {

class PlateauAnnealing : public LearningRateSchedule, public Callback {
 public:
  struct Options {
    int64_t window = 1000;
    int64_t batches = 10;   ///< batch means per window (window must be a multiple)
    int64_t patience = 1;   ///< windows without improvement before a cut
    double factor = 0.5;    ///< the rate's multiplier at a cut, in (0, 1)
    int64_t cuts = 4;       ///< cuts before a plateau ends the fit
    double z = 2.0;
    double rtol = 1e-4;
    bool stop_when_converged = true;
    /// Steps up to this one are not judged (a KL warm-up's losses are of a changing
    /// objective): the first window judged is the first whole one (windows end at multiples
    /// of `window`) after it. 0: from the first step.
    int64_t start = 0;
  };
  PlateauAnnealing() : PlateauAnnealing(Options{}) {}
  /// Throws InvalidArgument naming an option out of range.
  explicit PlateauAnnealing(Options options);

  double rate(double base, int64_t step, std::span<const double> hist) override;
  bool operator()(const StepInfo& info, std::string& reason) override;
  void on_fit_start() override {}  // the state spans fit calls (a resumed fit continues it)
  /// {scale, cuts made, windows without improvement, converged, best mean, best se};
  /// best mean and se are NaN before the first window after a cut.
  std::vector<double> saved_state() const override;
  void restore_state(std::span<const double> state) override;

  double scale() const { return scale_; }
  int64_t cuts_made() const { return cuts_made_; }
  bool converged() const { return converged_; }
  const Options& options() const { return o_; }

 private:
  Options o_;
  double scale_ = 1;
  int64_t cuts_made_ = 0, stalled_ = 0;
  bool converged_ = false, have_best_ = false;
  double best_mean_ = 0, best_se_ = 0;
};

}  // namespace elbo
ELBO_API_END
