#include "elbo/bnn/metric.hpp"

#include "elbo/bnn/likelihood.hpp"

namespace elbo {

std::optional<double> Metrics::find(const std::string& name) const {
  for (const Metric& m : more)
    if (m.name == name) return m.value;
  return std::nullopt;
}

void MetricRows::append(const MetricRows& block) {
  log_density.insert(log_density.end(), block.log_density.begin(), block.log_density.end());
  values.insert(values.end(), block.values.begin(), block.values.end());
}

MetricRows metric_rows(const Likelihood& likelihood, const PredictiveDraws& d, std::span<const double> y,
                       double level) {
  return {likelihood.log_density(d, y), likelihood.metric_rows(d, y, level)};
}

Metrics metrics_of_rows(const Likelihood& likelihood, const MetricRows& rows, double level) {
  Metrics m;
  m.rows = static_cast<int64_t>(rows.log_density.size());
  const double n = static_cast<double>(m.rows);
  for (double lp : rows.log_density) m.mlpd += lp / n;
  m.more = likelihood.metrics_of_rows(rows.values, level);
  return m;
}

Metrics evaluate_predictions(const Likelihood& likelihood, const PredictiveDraws& d, std::span<const double> y,
                             double level) {
  return metrics_of_rows(likelihood, metric_rows(likelihood, d, y, level), level);
}

}  // namespace elbo
