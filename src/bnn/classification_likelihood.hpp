#pragma once
// What the likelihoods of class labels share: per-row class probabilities from the draws
// of logits (one logit of class 1 for a binary network, K logits otherwise), their
// predictive entropy and mutual information, accuracy, the Brier score, the ECE and the
// training accuracy. A likelihood of classes derives from it and says how its draws give
// class probabilities and which probability a figure or a reliability diagram shows.
#include "elbo/bnn/likelihood.hpp"

namespace elbo::bnn_detail {

/// Per-row summaries of class probabilities over the draws: probabilities (mean over
/// draws) and their sd, the label (argmax of the mean), predictive entropy H[mean p] and
/// mutual information H[mean p] - mean H[p_draw], both in nats.
struct ClassPrediction {
  int64_t classes = 0;           ///< K (2 for a binary network)
  std::vector<double> prob, sd;  ///< [rows, K]
  std::vector<int64_t> label;    ///< [rows]
  std::vector<double> entropy, mutual_info;
};

class ClassificationLikelihood : public Likelihood {
 public:
  explicit ClassificationLikelihood(int64_t classes) : classes_(classes) {}
  int64_t classes() const { return classes_; }
  std::vector<std::string> class_names() const override;

  ClassPrediction classify(const PredictiveDraws& d) const;
  std::vector<double> log_density(const PredictiveDraws& d, std::span<const double> y) const override;
  /// Per row: 1 for a right label, the Brier term, and the reliability diagram's point
  /// (the probability calibration() shows and its outcome).
  std::vector<double> metric_rows(const PredictiveDraws& d, std::span<const double> y, double level) const override;
  void add_metric_rows(std::span<const double> rows, std::vector<double>& sums) const override;
  std::vector<Metric> metrics_of_sums(std::span<const double> sums, int64_t rows, double level) const override;
  PredictionSurface surface(const PredictiveDraws& d, const std::string& target) const override;
  std::optional<CalibrationPoints> calibration(const PredictiveDraws& d, std::span<const double> y) const override;
  /// The reliability diagram's points of per-row summaries `c` against labels `y`.
  CalibrationPoints calibration(const ClassPrediction& c, std::span<const double> y) const;
  TrainingScore training_score(std::span<const double> mean_output, std::span<const double> y,
                               TargetScale scale) const override;

 protected:
  /// The probability a figure and a reliability diagram show for row r, and whether the
  /// outcome is "the target is class 1" (binary) or "the label is right" (confidence).
  virtual bool shows_class_one() const = 0;

 private:
  int64_t classes_;
};

}  // namespace elbo::bnn_detail
