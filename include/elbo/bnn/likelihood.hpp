#pragma once
// A network's likelihood as one object: its name, which targets it accepts (naming the
// first row that does not fit), the observed node it puts on the network's last layer, and
// everything read off its posterior predictive: log densities, the columns of a
// prediction table, metrics, the surfaces and calibration a figure shows, and the score
// `elbo fit` prints. The CLI, the model file and the figures ask it; nothing switches on
// its name. The likelihoods are found by name, or inferred from a target, through
// likelihood_registry.hpp; each is one file in src/bnn/likelihoods/.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "elbo/bnn/metric.hpp"
#include "elbo/bnn/predictive_draws.hpp"
#include "elbo/export.hpp"
#include "elbo/model/model.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Named numbers that, with the name, rebuild a likelihood (a model file stores them):
/// "classes" of a categorical one, the prior sd of a noise scale.
using LikelihoodSettings = std::map<std::string, double>;

/// What a likelihood adds to a model on top of the network's last layer.
struct LikelihoodNodes {
  /// The network's output as a deterministic: probabilities, or the predictive mean
  /// (registered under output_name: "p", "probs", "mean", "rate").
  Expr output;
  /// The likelihood's own scalar parameters (a noise sd, degrees of freedom), drawn with
  /// the network by draw_predictive, in this order.
  std::vector<Expr> parameters;
};

/// A table with one row per input row, as `elbo predict` writes it.
struct PredictionTable {
  std::vector<std::string> columns;
  std::vector<double> values;  ///< [rows, columns] row-major
};

/// Per-row values over a figure's surface, with their titles.
struct PredictionSurface {
  std::vector<double> mean, sd;  ///< [rows]
  std::string mean_title, mean_label, sd_label;
  /// The predicted class per row, for a likelihood of class labels; empty otherwise.
  std::vector<double> label;
};

/// The points of a reliability diagram: predicted probability and outcome (0 or 1).
struct CalibrationPoints {
  std::vector<double> probability, outcome;
  std::string title, xlabel, ylabel;
};

/// The one-number fit `elbo fit` reports on its training data.
struct TrainingScore {
  std::string name;  ///< "accuracy", "RMSE"
  double value = 0;
  MetricFormat format = MetricFormat::general;
};

class Likelihood {
 public:
  virtual ~Likelihood() = default;

  /// The registry's name: "bernoulli", "poisson", ...
  virtual std::string name() const = 0;
  /// For a reader: "categorical with 3 classes"; the name by default.
  virtual std::string description() const { return name(); }
  /// What, besides the name, rebuilds it (see LikelihoodSettings).
  virtual LikelihoodSettings settings() const { return {}; }
  /// Values of the network's last layer per row: 1, K classes, or 2 (a location and a
  /// scale, the heteroscedastic likelihoods).
  virtual int64_t outputs() const { return 1; }
  /// Whether the network models the standardised target (y - mean) / sd; draw_predictive
  /// maps its draws back to target units with to_target_units.
  virtual bool standardizes_target() const { return false; }
  /// Class names for figures coloured by class; empty for a target that is not a class.
  virtual std::vector<std::string> class_names() const { return {}; }

  /// "" when every value of `y` fits, else what is wrong with the first that does not,
  /// naming its 1-based data row: "value 2.5 in data row 7 is not a count (a whole number
  /// >= 0)".
  virtual std::string check_targets(std::span<const double> y) const = 0;

  /// Adds the likelihood's parameters (with their priors), the output deterministic and
  /// the observed node "out" for the network's last layer `f` ([N], or [N, outputs()]) and
  /// data `y`.
  virtual LikelihoodNodes observe(Model& model, Expr f, Expr y, const ObservedOptions& options) const = 0;

  /// Maps draws of the modelled target to target units (the identity by default).
  virtual void to_target_units(PredictiveDraws& d, TargetScale scale) const;

  /// log p(y_r | draw s) for each row r, averaged over draws as log mean_s exp (the
  /// log predictive density of each row). `y` must pass check_targets.
  virtual std::vector<double> log_density(const PredictiveDraws& d, std::span<const double> y) const = 0;
  /// `elbo predict`'s columns; `level` is the probability of a central interval.
  virtual PredictionTable predictions(const PredictiveDraws& d, double level) const = 0;
  /// The per-row values the metrics are made of, [rows, k] row-major for the likelihood's
  /// own k (a squared error and whether the target lies in the central interval; a hit, a
  /// Brier term, a confidence and its outcome). Rows are independent, so data can be
  /// scored block by block of rows (how `elbo evaluate` streams).
  virtual std::vector<double> metric_rows(const PredictiveDraws& d, std::span<const double> y,
                                          double level) const = 0;
  /// Adds metric_rows' values of any number of rows to the metrics' running sums `sums`
  /// (empty before the first rows; sized then), row by row: blocks of rows added in row
  /// order give the sums of all rows at once.
  virtual void add_metric_rows(std::span<const double> rows, std::vector<double>& sums) const = 0;
  /// Metrics against known targets, besides mlpd, from the running sums of `rows` rows.
  virtual std::vector<Metric> metrics_of_sums(std::span<const double> sums, int64_t rows, double level) const = 0;
  /// The metrics of `d` against `y` (metric_rows, added, then metrics_of_sums).
  std::vector<Metric> metrics(const PredictiveDraws& d, std::span<const double> y, double level) const {
    std::vector<double> sums;
    add_metric_rows(metric_rows(d, y, level), sums);
    return metrics_of_sums(sums, d.rows, level);
  }
  /// The posterior predictive mean and sd for a figure; `target` names the target column.
  virtual PredictionSurface surface(const PredictiveDraws& d, const std::string& target) const = 0;
  /// A reliability diagram's points, for a likelihood of class labels; nullopt otherwise.
  virtual std::optional<CalibrationPoints> calibration(const PredictiveDraws&, std::span<const double>) const {
    return std::nullopt;
  }
  /// The training score from mean_output's means of the output deterministic ([rows] or
  /// [rows, K] as the deterministic is; in the modelled target's space) against targets `y`
  /// in target units.
  virtual TrainingScore training_score(std::span<const double> mean_output, std::span<const double> y,
                                       TargetScale scale) const = 0;
  /// A line for `elbo summary` on the likelihood's parameters in the standardised space
  /// ("" when there is nothing to say); `scale` maps the modelled target to target units.
  virtual std::string parameter_note(TargetScale) const { return ""; }
};

}  // namespace elbo
ELBO_API_END
