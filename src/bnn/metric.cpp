#include "elbo/bnn/metric.hpp"

#include "elbo/bnn/likelihood.hpp"

namespace elbo {

std::optional<double> Metrics::find(const std::string& name) const {
  for (const Metric& m : more)
    if (m.name == name) return m.value;
  return std::nullopt;
}

MetricRows metric_rows(const Likelihood& likelihood, const PredictiveDraws& d, std::span<const double> y,
                       double level) {
  return {likelihood.log_density(d, y), likelihood.metric_rows(d, y, level)};
}

void MetricSums::add(const MetricRows& block) {
  rows_ += static_cast<int64_t>(block.log_density.size());
  for (double lp : block.log_density) log_density_ += lp;
  likelihood_->add_metric_rows(block.values, sums_);
}

Metrics MetricSums::metrics(double level) const {
  Metrics m;
  m.rows = rows_;
  m.mlpd = log_density_ / static_cast<double>(rows_);
  std::vector<double> sums = sums_;
  if (sums.empty()) likelihood_->add_metric_rows({}, sums);  // no rows added: the sums' zeros
  m.more = likelihood_->metrics_of_sums(sums, rows_, level);
  return m;
}

Metrics evaluate_predictions(const Likelihood& likelihood, const PredictiveDraws& d, std::span<const double> y,
                             double level) {
  MetricSums sums(likelihood);
  sums.add(metric_rows(likelihood, d, y, level));
  return sums.metrics(level);
}

}  // namespace elbo
