#include "elbo/vi/callback.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "elbo/graph/error.hpp"

namespace elbo {

void Callback::restore_state(std::span<const double> state) {
  if (!state.empty())
    throw InvalidArgument("Callback::restore_state: this callback keeps no state, but was given " +
                          std::to_string(state.size()) + " values");
}

void CheckParametersConvergence::restore_state(std::span<const double> state) {
  prev_.assign(state.begin(), state.end());
}

std::vector<double> ElboConvergence::saved_state() const {
  if (!have_prev_) return {};
  std::vector<double> state{prev_};
  state.insert(state.end(), changes_.begin(), changes_.end());
  return state;
}

void ElboConvergence::restore_state(std::span<const double> state) {
  changes_.clear();
  have_prev_ = !state.empty();
  if (!have_prev_) return;
  for (double c : state.subspan(1))
    if (c < 0)
      throw InvalidArgument("ElboConvergence::restore_state: a relative change is " + std::to_string(c) +
                            ", but must be >= 0");
  prev_ = state[0];
  changes_.assign(state.begin() + 1, state.end());
}

CheckParametersConvergence::CheckParametersConvergence(Options o) : o_(o) {
  if (o_.every < 1)
    throw InvalidArgument("CheckParametersConvergence: argument 'every' is " + std::to_string(o_.every) +
                          ", but must be >= 1");
  if (!(o_.tolerance > 0))
    throw InvalidArgument("CheckParametersConvergence: argument 'tolerance' is " + std::to_string(o_.tolerance) +
                          ", but must be positive");
}

bool CheckParametersConvergence::operator()(const StepInfo& info, std::string& reason) {
  if (info.step % o_.every != 0) return true;
  auto p = info.approximation.params();
  if (prev_.empty()) {
    prev_.assign(p.begin(), p.end());
    return true;
  }
  if (prev_.size() != p.size())
    throw InvalidArgument("CheckParametersConvergence: the restored state has " + std::to_string(prev_.size()) +
                          " parameters, but the approximation has " + std::to_string(p.size()));
  double norm = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    double d = p[i] - prev_[i];
    if (o_.relative) d = prev_[i] != 0 ? d / prev_[i] : (d == 0 ? 0 : std::numeric_limits<double>::infinity());
    d = std::abs(d);
    if (std::isinf(o_.ord))
      norm = std::max(norm, d);
    else
      norm += std::pow(d, o_.ord);
  }
  if (!std::isinf(o_.ord)) norm = std::pow(norm, 1.0 / o_.ord);
  prev_.assign(p.begin(), p.end());
  if (norm < o_.tolerance) {
    reason = "Convergence achieved at " + std::to_string(info.step);
    return false;
  }
  return true;
}

ElboConvergence::ElboConvergence(Options o) : o_(o) {
  if (o_.eval_elbo < 1)
    throw InvalidArgument("ElboConvergence: argument 'eval_elbo' is " + std::to_string(o_.eval_elbo) +
                          ", but must be >= 1");
  if (!(o_.tol_rel_obj > 0))
    throw InvalidArgument("ElboConvergence: argument 'tol_rel_obj' is " + std::to_string(o_.tol_rel_obj) +
                          ", but must be positive");
}

bool ElboConvergence::operator()(const StepInfo& info, std::string& reason) {
  if (info.fit_step % o_.eval_elbo != 0 || info.hist.size() < static_cast<size_t>(o_.eval_elbo)) return true;
  auto last = info.hist.subspan(info.hist.size() - static_cast<size_t>(o_.eval_elbo));
  double sum = 0;
  int64_t n = 0;
  for (double v : last)
    if (std::isfinite(v)) sum += v, ++n;
  if (n == 0) return true;
  double elbo = -sum / static_cast<double>(n);
  if (have_prev_) {
    double rel = std::abs((elbo - prev_) / elbo);
    int64_t cap = o_.buffer > 0 ? o_.buffer
                                : std::max<int64_t>(2, static_cast<int64_t>(0.1 * static_cast<double>(info.fit_total) /
                                                                            static_cast<double>(o_.eval_elbo)));
    changes_.push_back(rel);
    if (static_cast<int64_t>(changes_.size()) > cap) changes_.erase(changes_.begin());
    double mean = std::accumulate(changes_.begin(), changes_.end(), 0.0) / static_cast<double>(changes_.size());
    std::vector<double> sorted = changes_;
    std::sort(sorted.begin(), sorted.end());
    size_t m = sorted.size();
    double median = m % 2 ? sorted[m / 2] : 0.5 * (sorted[m / 2 - 1] + sorted[m / 2]);
    if (static_cast<int64_t>(changes_.size()) >= 2 && (mean < o_.tol_rel_obj || median < o_.tol_rel_obj)) {
      reason = std::string("ELBO converged (relative change ") + (mean < o_.tol_rel_obj ? "mean " : "median ") +
               "below " + std::to_string(o_.tol_rel_obj) + ") at " + std::to_string(info.step);
      return false;
    }
  }
  prev_ = elbo;
  have_prev_ = true;
  return true;
}

Tracker::Tracker(std::map<std::string, Fn> fns, int64_t every) : fns_(std::move(fns)), every_(every) {
  if (every_ < 1)
    throw InvalidArgument("Tracker: argument 'every' is " + std::to_string(every_) + ", but must be >= 1");
  for (const auto& [k, f] : fns_) values_[k];
}

bool Tracker::operator()(const StepInfo& info, std::string&) {
  if (info.step % every_ != 0) return true;
  steps_.push_back(info.step);
  for (const auto& [k, f] : fns_) values_[k].push_back(f(info.approximation));
  return true;
}

const std::vector<double>& Tracker::operator[](const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw InvalidArgument("Tracker: nothing tracked under the name '" + name + "'");
  return it->second;
}

}  // namespace elbo
