#include "elbo/vi/schedule.hpp"

#include <cmath>
#include <string>

#include "elbo/graph/error.hpp"

namespace elbo {

ExponentialDecay::ExponentialDecay(double decay, int64_t decay_steps) : decay_(decay), steps_(decay_steps) {
  if (!(decay > 0 && decay <= 1))
    throw InvalidArgument("ExponentialDecay: argument 'decay' is " + std::to_string(decay) + ", but must be in (0, 1]");
  if (decay_steps < 1)
    throw InvalidArgument("ExponentialDecay: argument 'decay_steps' is " + std::to_string(decay_steps) +
                          ", but must be >= 1");
}

double ExponentialDecay::rate(double base, int64_t step, std::span<const double>) {
  return base * std::pow(decay_, static_cast<double>(step) / static_cast<double>(steps_));
}

ReduceOnPlateau::ReduceOnPlateau(double factor, int64_t patience, double min_delta, double min_lr)
    : factor_(factor), min_delta_(min_delta), min_lr_(min_lr), patience_(patience) {
  if (!(factor > 0 && factor < 1))
    throw InvalidArgument("ReduceOnPlateau: argument 'factor' is " + std::to_string(factor) + ", but must be in (0, 1)");
  if (patience < 1)
    throw InvalidArgument("ReduceOnPlateau: argument 'patience' is " + std::to_string(patience) + ", but must be >= 1");
}

double ReduceOnPlateau::rate(double base, int64_t step, std::span<const double> hist) {
  if (step % patience_ == 0 && hist.size() >= static_cast<size_t>(patience_)) {
    double sum = 0;
    int64_t n = 0;
    for (size_t i = hist.size() - static_cast<size_t>(patience_); i < hist.size(); ++i)
      if (std::isfinite(hist[i])) sum += hist[i], ++n;
    if (n > 0) {
      double m = sum / static_cast<double>(n);
      if (!have_best_ || m < best_ - min_delta_ * std::abs(best_)) {
        best_ = m;
        have_best_ = true;
      } else {
        scale_ *= factor_;
      }
    }
  }
  return std::max(base * scale_, min_lr_);
}

}  // namespace elbo
