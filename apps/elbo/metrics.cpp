#include "metrics.hpp"

#include <cmath>

#include "elbo/plot/reliability_diagram.hpp"

namespace elbo::cli {

Metrics evaluate_predictions(const PredictiveDraws& d, const std::string& likelihood, std::span<const double> y,
                             double level) {
  Metrics m;
  m.rows = d.rows;
  m.level = level;
  const double n = static_cast<double>(d.rows);
  for (double lp : log_predictive_density(d, y)) m.mlpd += lp / n;
  if (likelihood == "normal") {
    Regression g = regress(d, level);
    double se = 0, inside = 0;
    for (int64_t r = 0; r < d.rows; ++r) {
      se += (g.mean[r] - y[r]) * (g.mean[r] - y[r]);
      inside += y[r] >= g.lo[r] && y[r] <= g.hi[r];
    }
    m.rmse = std::sqrt(se / n);
    m.coverage = inside / n;
    return m;
  }
  ClassPrediction c = classify(d);
  const int64_t K = c.classes;
  double correct = 0, brier = 0;
  std::vector<double> calib_p(static_cast<size_t>(d.rows)), calib_y(static_cast<size_t>(d.rows));
  for (int64_t r = 0; r < d.rows; ++r) {
    auto label = static_cast<int64_t>(y[r]);
    correct += c.label[r] == label;
    for (int64_t k = 0; k < K; ++k) {
      double diff = c.prob[r * K + k] - (k == label ? 1.0 : 0.0);
      brier += diff * diff;
    }
    if (K == 2 && likelihood == "bernoulli") {
      calib_p[r] = std::min(1.0, std::max(0.0, c.prob[r * K + 1]));
      calib_y[r] = static_cast<double>(label);
    } else {
      calib_p[r] = std::min(1.0, std::max(0.0, c.prob[r * K + c.label[r]]));
      calib_y[r] = c.label[r] == label ? 1.0 : 0.0;
    }
  }
  m.accuracy = correct / n;
  m.brier = brier / n;
  auto bins = plot::calibration_bins(calib_p, calib_y, 10);
  m.ece = plot::expected_calibration_error(bins);
  return m;
}

}  // namespace elbo::cli
