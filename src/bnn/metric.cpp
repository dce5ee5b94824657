#include "elbo/bnn/metric.hpp"

#include "elbo/bnn/likelihood.hpp"

namespace elbo {

std::optional<double> Metrics::find(const std::string& name) const {
  for (const Metric& m : more)
    if (m.name == name) return m.value;
  return std::nullopt;
}

Metrics evaluate_predictions(const Likelihood& likelihood, const PredictiveDraws& d, std::span<const double> y,
                             double level) {
  Metrics m;
  m.rows = d.rows;
  const double n = static_cast<double>(d.rows);
  for (double lp : likelihood.log_density(d, y)) m.mlpd += lp / n;
  m.more = likelihood.metrics(d, y, level);
  return m;
}

}  // namespace elbo
