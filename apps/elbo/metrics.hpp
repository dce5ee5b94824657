#pragma once
// How well a fitted network predicts data with known targets (`elbo evaluate`).
#include <cstdint>
#include <optional>
#include <span>

#include "predictive.hpp"

namespace elbo::cli {

struct Metrics {
  int64_t rows = 0;
  /// Mean log predictive density: mean_i log mean_s p(y_i | draw s); in nats per row, for
  /// a normal target in its original units.
  double mlpd = 0;
  // classification
  std::optional<double> accuracy;  ///< label (argmax of the mean probabilities) == y
  /// Brier score: mean_i sum_k (p_ik - [y_i == k])^2 over the K classes (for bernoulli over
  /// both classes, twice the one-probability form (p - y)^2).
  std::optional<double> brier;
  /// Expected calibration error over 10 equal-width bins: of p(y = 1) for bernoulli, of the
  /// predicted label's probability (confidence) for categorical.
  std::optional<double> ece;
  // regression
  std::optional<double> rmse;      ///< of the predictive mean
  std::optional<double> coverage;  ///< fraction of y inside the central `level` interval
  double level = 0.94;
};

/// Targets must fit the likelihood (see check_targets).
Metrics evaluate_predictions(const PredictiveDraws& d, const std::string& likelihood, std::span<const double> y,
                             double level);

}  // namespace elbo::cli
