#pragma once
// How well a fitted network predicts data with known targets: the mean log predictive
// density, and what the likelihood adds (accuracy, Brier, ECE; RMSE, coverage).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "elbo/bnn/predictive_draws.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// How a metric is printed in a table.
enum class MetricFormat {
  fixed,    ///< "%.4f"
  general,  ///< "%.4g"
  percent,  ///< 100 x, "%.2f%%"
};

struct Metric {
  std::string name;  ///< "accuracy", "rmse", ... (the JSON key of `elbo evaluate --json`)
  double value = 0;
  MetricFormat format = MetricFormat::fixed;
  std::string note;  ///< one line for a reader: what it measures, which way is better
};

struct Metrics {
  int64_t rows = 0;
  /// Mean log predictive density: mean_i log mean_s p(y_i | draw s), in nats per row, in
  /// the target's own units.
  double mlpd = 0;
  std::vector<Metric> more;  ///< the likelihood's own, in print order

  /// The metric called `name`, if the likelihood reports it.
  std::optional<double> find(const std::string& name) const;
};

/// One block of rows' values behind Metrics: each row's log predictive density and the
/// likelihood's metric_rows.
struct MetricRows {
  std::vector<double> log_density;  ///< [rows]
  std::vector<double> values;       ///< Likelihood::metric_rows, [rows, k]
};

/// The rows of `d` against targets `y` (which must pass the likelihood's check_targets);
/// `level` is the central interval's probability for coverage.
MetricRows metric_rows(const Likelihood& likelihood, const PredictiveDraws& d, std::span<const double> y,
                       double level);

/// Metrics over data scored block by block: the running sums of the blocks' rows, added in
/// row order (the same numbers for any blocks), in memory that does not grow with the rows.
class MetricSums {
 public:
  explicit MetricSums(const Likelihood& likelihood) : likelihood_(&likelihood) {}
  /// Adds the next block's rows.
  void add(const MetricRows& block);
  /// mlpd and the likelihood's metrics of every row added.
  Metrics metrics(double level) const;

 private:
  const Likelihood* likelihood_;
  int64_t rows_ = 0;
  double log_density_ = 0;
  std::vector<double> sums_;
};

/// mlpd and the likelihood's metrics of `d` against targets `y` (one block: MetricSums of
/// metric_rows).
Metrics evaluate_predictions(const Likelihood& likelihood, const PredictiveDraws& d, std::span<const double> y,
                             double level);

}  // namespace elbo
ELBO_API_END
