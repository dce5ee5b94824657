#include "elbo/vi/plateau_annealing.hpp"

#include <cmath>
#include <limits>

#include "elbo/graph/error.hpp"

namespace elbo {

namespace {

// The mean of `x` and its standard error by the method of batch means (`batches` equal
// batches); NaN mean when a value is not finite.
void window_stats(std::span<const double> x, int64_t batches, double& mean, double& se) {
  const int64_t per = static_cast<int64_t>(x.size()) / batches;
  double sum = 0, sum_sq = 0;
  for (int64_t b = 0; b < batches; ++b) {
    double m = 0;
    for (int64_t i = 0; i < per; ++i) m += x[static_cast<size_t>(b * per + i)];
    m /= static_cast<double>(per);
    sum += m;
    sum_sq += m * m;
  }
  const double n = static_cast<double>(batches);
  mean = sum / n;
  const double var = std::max(0.0, (sum_sq - n * mean * mean) / (n - 1));
  se = std::sqrt(var / n);
  if (!std::isfinite(mean) || !std::isfinite(se)) mean = std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

PlateauAnnealing::PlateauAnnealing(Options o) : o_(o) {
  auto bad = [](const char* name, const std::string& value, const char* must) {
    throw InvalidArgument(std::string("PlateauAnnealing: option '") + name + "' is " + value + ", but must be " + must);
  };
  if (o_.batches < 2) bad("batches", std::to_string(o_.batches), ">= 2");
  if (o_.window < o_.batches || o_.window % o_.batches != 0)
    bad("window", std::to_string(o_.window), "a positive multiple of 'batches'");
  if (o_.patience < 1) bad("patience", std::to_string(o_.patience), ">= 1");
  if (!(o_.factor > 0 && o_.factor < 1)) bad("factor", std::to_string(o_.factor), "in (0, 1)");
  if (o_.cuts < 0) bad("cuts", std::to_string(o_.cuts), ">= 0");
  if (o_.start < 0) bad("start", std::to_string(o_.start), ">= 0");
  if (!(o_.z >= 0) || !std::isfinite(o_.z)) bad("z", std::to_string(o_.z), ">= 0 and finite");
  if (!(o_.rtol >= 0) || !std::isfinite(o_.rtol)) bad("rtol", std::to_string(o_.rtol), ">= 0 and finite");
}

double PlateauAnnealing::rate(double base, int64_t, std::span<const double>) { return base * scale_; }

bool PlateauAnnealing::operator()(const StepInfo& info, std::string& reason) {
  if (converged_) return !o_.stop_when_converged;
  const int64_t n = static_cast<int64_t>(info.hist.size());
  if (info.step % o_.window != 0 || n < o_.window || info.step - o_.window < o_.start) return true;
  double mean = 0, se = 0;
  window_stats(info.hist.subspan(static_cast<size_t>(n - o_.window)), o_.batches, mean, se);
  if (!std::isnan(mean)) {
    const bool improved = !have_best_ || (best_mean_ - mean > o_.z * std::hypot(best_se_, se) &&
                                          best_mean_ - mean > o_.rtol * std::fabs(best_mean_));
    if (improved) {
      have_best_ = true;
      best_mean_ = mean;
      best_se_ = se;
      stalled_ = 0;
      return true;
    }
  }
  if (++stalled_ < o_.patience) return true;
  if (cuts_made_ >= o_.cuts) {
    converged_ = true;
    reason = "converged at step " + std::to_string(info.step) + ": the mean loss of the last " +
             std::to_string(o_.window) + " steps no longer falls beyond its noise, after " +
             std::to_string(cuts_made_) + " cuts of the learning rate";
    return !o_.stop_when_converged;
  }
  scale_ *= o_.factor;
  ++cuts_made_;
  stalled_ = 0;
  have_best_ = false;  // the next window, at the new rate, is the new reference
  return true;
}

std::vector<double> PlateauAnnealing::saved_state() const {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return {scale_, static_cast<double>(cuts_made_), static_cast<double>(stalled_), converged_ ? 1.0 : 0.0,
          have_best_ ? best_mean_ : nan, have_best_ ? best_se_ : nan};
}

void PlateauAnnealing::restore_state(std::span<const double> s) {
  if (s.empty()) {
    *this = PlateauAnnealing(o_);
    return;
  }
  if (s.size() != 6 || !(s[0] > 0 && s[0] <= 1) || !(s[1] >= 0 && s[1] <= static_cast<double>(o_.cuts)) ||
      !(s[2] >= 0) || !(s[3] == 0 || s[3] == 1) || std::isnan(s[4]) != std::isnan(s[5]))
    throw InvalidArgument("PlateauAnnealing::restore_state: the state (" + std::to_string(s.size()) +
                          " values) is not one this schedule saves");
  scale_ = s[0];
  cuts_made_ = static_cast<int64_t>(s[1]);
  stalled_ = static_cast<int64_t>(s[2]);
  converged_ = s[3] == 1;
  have_best_ = !std::isnan(s[4]);
  best_mean_ = have_best_ ? s[4] : 0;
  best_se_ = have_best_ ? s[5] : 0;
}

}  // namespace elbo
