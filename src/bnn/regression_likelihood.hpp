#pragma once
// What the likelihoods of a numeric target share: the posterior predictive is a mixture
// over the S draws of one distribution per draw, and its mean, sd, central interval (the
// mixture's quantiles), log density, RMSE and coverage follow from each draw's mean,
// variance, CDF and log density. A likelihood of numbers derives from it and gives those
// four per draw (and says whether the target is whole numbers, for integer quantiles).
#include "elbo/bnn/likelihood.hpp"

namespace elbo::bnn_detail {

/// Per-row mean, sd and central interval [lo, hi] of the posterior predictive.
struct RegressionSummary {
  std::vector<double> mean, sd, lo, hi;
};

class RegressionLikelihood : public Likelihood {
 public:
  RegressionSummary regress(const PredictiveDraws& d, double level) const;

  std::vector<double> log_density(const PredictiveDraws& d, std::span<const double> y) const override;
  PredictionTable predictions(const PredictiveDraws& d, double level) const override;
  /// Per row: the squared error of the predictive mean, and 1 when y is inside [lo, hi].
  std::vector<double> metric_rows(const PredictiveDraws& d, std::span<const double> y, double level) const override;
  void add_metric_rows(std::span<const double> rows, std::vector<double>& sums) const override;
  std::vector<Metric> metrics_of_sums(std::span<const double> sums, int64_t rows, double level) const override;
  PredictionSurface surface(const PredictiveDraws& d, const std::string& target) const override;
  /// RMSE of the output deterministic's mean (the predictive mean), in target units.
  TrainingScore training_score(std::span<const double> mean_output, std::span<const double> y,
                               TargetScale scale) const override;

 protected:
  /// Of draw s's distribution of row r's target, in target units.
  virtual double draw_mean(const PredictiveDraws& d, int64_t s, int64_t r) const = 0;
  virtual double draw_variance(const PredictiveDraws& d, int64_t s, int64_t r) const = 0;
  virtual double draw_cdf(const PredictiveDraws& d, int64_t s, int64_t r, double t) const = 0;
  virtual double draw_log_density(const PredictiveDraws& d, int64_t s, int64_t r, double y) const = 0;
  /// Whole-number targets: the interval's ends are whole numbers (the smallest k with
  /// mixture CDF(k) >= the quantile's probability).
  virtual bool whole_numbers() const { return false; }
};

/// A likelihood of a real target with a location (the network's output; the first of each
/// row's outputs when there are more, which have no units) and a learned scale sigma ~
/// HalfNormal(noise_prior_sd): the network models the standardised target, and draws map
/// back to target units by y = mean + sd * y_model, sigma (the first parameter) by sd. Any
/// real target fits.
class LocationScaleLikelihood : public RegressionLikelihood {
 public:
  /// `name` for messages; throws InvalidArgument unless noise_prior_sd > 0.
  LocationScaleLikelihood(const std::string& name, double noise_prior_sd);
  LikelihoodSettings settings() const override { return {{"noise_prior_sd", noise_prior_sd_}}; }
  bool standardizes_target() const override { return true; }
  std::string check_targets(std::span<const double>) const override { return {}; }
  void to_target_units(PredictiveDraws& d, TargetScale scale) const override;

 protected:
  /// The scale's prior sd.
  double noise_prior_sd() const { return noise_prior_sd_; }
  /// draw s's sigma, in target units.
  static double sigma(const PredictiveDraws& d, int64_t s) { return d.parameters[0][s]; }

 private:
  double noise_prior_sd_;
};

/// A likelihood of a real target whose noise depends on the inputs: the network has two
/// outputs per row, the location f_1 and f_2, which scales the learned sigma row by row:
/// row r's scale is sigma * s(f_2) with s(u) = softplus(u) / ln 2 + kSdFloor. s(0) is about 1,
/// so at f_2 = 0 it is the homoscedastic likelihood; the floor bounds a row's scale below by
/// kSdFloor sigma (relative to sigma, which is learned too). The draws keep f_2 as the
/// network gives it (the finite differences of Laplace's curvature move it; to_target_units
/// maps the location alone); sigma, the only parameter with units, carries the target's
/// scale.
class HeteroscedasticLikelihood : public LocationScaleLikelihood {
 public:
  static constexpr double kSdFloor = 1e-3;
  using LocationScaleLikelihood::LocationScaleLikelihood;
  int64_t outputs() const override { return 2; }

 protected:
  /// The network's last layer f [N, 2] as the location [N] and each row's factor s(f_2) [N].
  struct Columns {
    Expr location, sd_factor;
  };
  static Columns columns(Expr f);
  /// Row r's scale in draw s, in target units (sigma, the first parameter, times s(f_2)).
  static double row_sd(const PredictiveDraws& d, int64_t s, int64_t r);
  double draw_mean(const PredictiveDraws& d, int64_t s, int64_t r) const override { return d.at(s, r, 0); }
};

/// The location-scale densities and CDFs in double, for the likelihoods' draw_* methods.
double normal_log_density(double y, double mean, double sd);
double normal_cdf(double t, double mean, double sd);
double student_t_log_density(double y, double nu, double mean, double scale);
double student_t_cdf(double t, double nu, double mean, double scale);

/// The noise_prior_sd of `settings`, 1 when absent.
double noise_prior_sd_setting(const LikelihoodSettings& settings);

}  // namespace elbo::bnn_detail
