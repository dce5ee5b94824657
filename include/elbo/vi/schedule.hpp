#pragma once
// Learning-rate schedules applied between steps.
#include <cstdint>
#include <span>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  /// The learning rate for step `step` (1-based), given the base rate and the history.
  virtual double rate(double base, int64_t step, std::span<const double> hist) = 0;
};

/// lr = base * decay ^ (step / decay_steps).
class ExponentialDecay : public LearningRateSchedule {
 public:
  ExponentialDecay(double decay, int64_t decay_steps);
  double rate(double base, int64_t step, std::span<const double> hist) override;

 private:
  double decay_;
  int64_t steps_;
};

/// Every `patience` steps compares the mean loss of that window with the best window so
/// far; if it has not improved by at least min_delta (relative), lr *= factor (not below
/// min_lr).
class ReduceOnPlateau : public LearningRateSchedule {
 public:
  ReduceOnPlateau(double factor = 0.5, int64_t patience = 1000, double min_delta = 1e-3, double min_lr = 1e-8);
  double rate(double base, int64_t step, std::span<const double> hist) override;

 private:
  double factor_, min_delta_, min_lr_;
  int64_t patience_;
  double best_ = 0, scale_ = 1;
  bool have_best_ = false;
};

}  // namespace elbo
ELBO_API_END
