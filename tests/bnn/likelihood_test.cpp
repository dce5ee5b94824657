// The likelihoods through their registry: names, inference from a target, checks that name
// the row, and their predictive quantities and metrics on draws whose answers are known.
#include "elbo/bnn/likelihood.hpp"

#include <cmath>
#include <vector>

#include "support/expect_throw_msg.hpp"
#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/bnn/metric.hpp"
#include "elbo/graph/error.hpp"

namespace elbo {
namespace {

// One row per value of `output` (one output per row), `draws` identical draws of each, and
// the likelihood's parameters fixed at `parameters` for every draw.
PredictiveDraws fixed_draws(std::vector<double> output, std::vector<double> parameters = {}, int64_t draws = 1,
                            int64_t outputs = 1) {
  PredictiveDraws d;
  d.draws = draws;
  d.outputs = outputs;
  d.rows = static_cast<int64_t>(output.size()) / outputs;
  for (int64_t s = 0; s < draws; ++s) d.output.insert(d.output.end(), output.begin(), output.end());
  for (double p : parameters) d.parameters.push_back(std::vector<double>(static_cast<size_t>(draws), p));
  return d;
}

double value_of(const std::vector<Metric>& metrics, const std::string& name) {
  for (const Metric& m : metrics)
    if (m.name == name) return m.value;
  ADD_FAILURE() << "no metric " << name;
  return NAN;
}

TEST(likelihood_registry, lists_every_likelihood_once_and_refuses_an_unknown_name) {
  EXPECT_EQ(likelihood_names(), (std::vector<std::string>{"bernoulli", "categorical", "poisson", "student_t",
                                                          "heteroscedastic_normal", "heteroscedastic_student_t",
                                                          "normal"}));
  for (const std::string& name : likelihood_names()) EXPECT_EQ(make_likelihood(name, {{"classes", 3}})->name(), name);
  EXPECT_THROW_MSG(find_likelihood("ordinal"), InvalidArgument,
                   "likelihood 'ordinal' is not one of bernoulli, categorical, poisson, student_t, "
                   "heteroscedastic_normal, heteroscedastic_student_t, normal");
}

TEST(likelihood_registry, infers_the_likelihood_of_the_cli_from_the_target) {
  auto bernoulli = infer_likelihood(std::vector<double>{0, 1, 1, 0});
  EXPECT_EQ(bernoulli.likelihood->name(), "bernoulli");
  EXPECT_EQ(bernoulli.reason, "the target holds only the labels 0 and 1");
  auto categorical = infer_likelihood(std::vector<double>{0, 2, 1, 2});
  EXPECT_EQ(categorical.likelihood->description(), "categorical with 3 classes");
  EXPECT_EQ(categorical.likelihood->outputs(), 3);
  // Only 1s (label 0 missing) and labels with a gap are not class sets: normal.
  EXPECT_EQ(infer_likelihood(std::vector<double>{1, 1}).likelihood->name(), "normal");
  EXPECT_EQ(infer_likelihood(std::vector<double>{0, 1, 3}).likelihood->name(), "normal");
  EXPECT_EQ(infer_likelihood(std::vector<double>{0.5, 2}).reason, "the target is not a set of class labels 0..K-1");
  // Counts are never taken for poisson, nor anything for student_t, unless asked.
  EXPECT_EQ(infer_likelihood(std::vector<double>{0, 1, 2, 7, 3}).likelihood->name(), "normal");
}

TEST(likelihood_registry, a_target_that_does_not_fit_is_refused_naming_its_1_based_row) {
  EXPECT_THROW_MSG(likelihood_for_target("bernoulli", std::vector<double>{0, 1, 2}), InvalidArgument,
                   "value 2 in data row 3 is not 0 or 1");
  EXPECT_THROW_MSG(likelihood_for_target("categorical", std::vector<double>{0, 1.5}), InvalidArgument,
                   "value 1.5 in data row 2 is not a class label (a whole number >= 0)");
  EXPECT_THROW_MSG(likelihood_for_target("categorical", std::vector<double>{0, 5000}), InvalidArgument,
                   "the largest label is 5000, more than 1000 classes");
  EXPECT_THROW_MSG(likelihood_for_target("poisson", std::vector<double>{0, 3, -1}), InvalidArgument,
                   "value -1 in data row 3 is not a count (a whole number >= 0)");
  EXPECT_THROW_MSG(likelihood_for_target("poisson", std::vector<double>{2.5}), InvalidArgument,
                   "value 2.5 in data row 1 is not a count");
  EXPECT_EQ(likelihood_for_target("categorical", std::vector<double>{0, 4})->outputs(), 5);
  EXPECT_EQ(likelihood_for_target("poisson", std::vector<double>{0, 12, 3})->name(), "poisson");
  EXPECT_EQ(likelihood_for_target("student_t", std::vector<double>{-3.5, 1e6})->name(), "student_t");
  // A fitted network's check: a label beyond its classes.
  auto three = make_likelihood("categorical", {{"classes", 3}});
  EXPECT_EQ(three->check_targets(std::vector<double>{0, 2, 3}),
            "value 3 in data row 3 is not a class of this 3-class network (0..2)");
  EXPECT_EQ(three->check_targets(std::vector<double>{0, 2, 1}), "");
}

TEST(likelihood_registry, settings_rebuild_a_likelihood_and_bad_ones_are_named) {
  for (const std::string& name : likelihood_names()) {
    auto l = make_likelihood(name, {{"classes", 4}, {"noise_prior_sd", 2}});
    auto again = make_likelihood(name, l->settings());
    EXPECT_EQ(again->settings(), l->settings()) << name;
    EXPECT_EQ(again->outputs(), l->outputs()) << name;
  }
  EXPECT_THROW_MSG(make_likelihood("categorical", {}), InvalidArgument, "the setting 'classes' is missing");
  EXPECT_THROW_MSG(make_likelihood("categorical", {{"classes", 1}}), InvalidArgument,
                   "'classes' is 1, but must be in [2, 1000]");
  EXPECT_THROW_MSG(make_likelihood("normal", {{"noise_prior_sd", -1}}), InvalidArgument,
                   "'noise_prior_sd' is -1, but must be positive");
}

TEST(likelihood_registry, only_numeric_targets_are_standardised) {
  EXPECT_TRUE(make_likelihood("normal")->standardizes_target());
  EXPECT_TRUE(make_likelihood("student_t", {{"noise_prior_sd", 1}})->standardizes_target());
  EXPECT_FALSE(make_likelihood("poisson")->standardizes_target());
  EXPECT_FALSE(make_likelihood("bernoulli")->standardizes_target());
}

TEST(normal_likelihood, one_draw_gives_the_normal_quantiles_density_and_target_units) {
  auto normal = make_likelihood("normal");
  // Modelled (standardised) mean 0.5 and sd 1, target = 10 + 2 * modelled: N(11, 2^2).
  PredictiveDraws d = fixed_draws({0.5}, {1.0});
  normal->to_target_units(d, {10, 2});
  EXPECT_DOUBLE_EQ(d.at(0, 0), 11);
  EXPECT_DOUBLE_EQ(d.parameters[0][0], 2);
  PredictionTable t = normal->predictions(d, 0.9);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"mean", "sd", "lo", "hi"}));
  EXPECT_NEAR(t.values[0], 11, 1e-12);
  EXPECT_NEAR(t.values[1], 2, 1e-12);
  EXPECT_NEAR(t.values[2], 11 - 1.6448536269514722 * 2, 1e-8);  // the bisection's tolerance
  EXPECT_NEAR(t.values[3], 11 + 1.6448536269514722 * 2, 1e-8);
  // log N(12 | 11, 2^2) = -0.5 (1/2)^2 - log 2 - 0.5 log(2 pi)
  EXPECT_NEAR(normal->log_density(d, std::vector<double>{12})[0], -0.125 - std::log(2.0) - 0.5 * std::log(2 * M_PI),
              1e-12);
}

TEST(student_t_likelihood, quantiles_variance_and_density_are_the_student_t_ones) {
  auto t = make_likelihood("student_t", {{"noise_prior_sd", 1}});
  // nu = 3, mu = 0, sigma = 1: the 97 % quantile of t_3 is 2.9505104700829 (its CDF in
  // closed form, 1/2 + (u / (1 + u^2) + atan u) / pi for u = t / sqrt 3, by bisection).
  PredictiveDraws d = fixed_draws({0.0}, {1.0, 3.0});
  PredictionTable p = t->predictions(d, 0.94);
  EXPECT_NEAR(p.values[0], 0, 1e-12);
  EXPECT_NEAR(p.values[1], std::sqrt(3.0), 1e-12);  // sd = sigma sqrt(nu / (nu - 2))
  EXPECT_NEAR(p.values[2], -2.950510470082921, 1e-7);
  EXPECT_NEAR(p.values[3], 2.950510470082921, 1e-7);
  // log t_5(0.7 | 0.2, 1.5), from lgamma in Python.
  PredictiveDraws d5 = fixed_draws({0.2}, {1.5, 5.0});
  EXPECT_NEAR(t->log_density(d5, std::vector<double>{0.7})[0], -1.440021417319215, 1e-12);
  // sigma scales to target units, nu does not.
  t->to_target_units(d5, {1, 10});
  EXPECT_DOUBLE_EQ(d5.parameters[0][0], 15);
  EXPECT_DOUBLE_EQ(d5.parameters[1][0], 5);
  EXPECT_DOUBLE_EQ(d5.at(0, 0), 3);
}

TEST(heteroscedastic_normal_likelihood, each_rows_sd_is_sigma_times_its_softplus_factor) {
  auto h = make_likelihood("heteroscedastic_normal", {{"noise_prior_sd", 1}});
  EXPECT_EQ(h->outputs(), 2);
  EXPECT_TRUE(h->standardizes_target());
  // Two rows (mean, scale output): (0.5, 0) and (-1, 2); sigma 1.5 on the standardised
  // scale; target = 10 + 2 * modelled. Row sd = 2 * 1.5 * (softplus(u) / ln 2 + 0.001).
  PredictiveDraws d = fixed_draws({0.5, 0.0, -1.0, 2.0}, {1.5}, 1, 2);
  h->to_target_units(d, {10, 2});
  EXPECT_DOUBLE_EQ(d.at(0, 0, 0), 11);
  EXPECT_DOUBLE_EQ(d.at(0, 1, 0), 8);
  EXPECT_DOUBLE_EQ(d.at(0, 0, 1), 0);  // the scale output has no units: sigma carries them
  EXPECT_DOUBLE_EQ(d.at(0, 1, 1), 2);
  EXPECT_DOUBLE_EQ(d.parameters[0][0], 3);
  const double sd0 = 3 * (1 + 0.001), sd1 = 3 * (std::log1p(std::exp(2.0)) / std::log(2.0) + 0.001);
  PredictionTable t = h->predictions(d, 0.9);
  ASSERT_EQ(t.columns, (std::vector<std::string>{"mean", "sd", "lo", "hi"}));
  EXPECT_NEAR(t.values[1], sd0, 1e-12);
  EXPECT_NEAR(t.values[5], sd1, 1e-12);
  EXPECT_NEAR(t.values[6], 8 - 1.6448536269514722 * sd1, 1e-7);  // the bisection's tolerance
  EXPECT_NEAR(t.values[7], 8 + 1.6448536269514722 * sd1, 1e-7);
  std::vector<double> ll = h->log_density(d, std::vector<double>{12, 9});
  auto log_normal = [](double y, double m, double sd) {
    return -0.5 * ((y - m) / sd) * ((y - m) / sd) - std::log(sd) - 0.5 * std::log(2 * M_PI);
  };
  EXPECT_NEAR(ll[0], log_normal(12, 11, sd0), 1e-12);
  EXPECT_NEAR(ll[1], log_normal(9, 8, sd1), 1e-12);
}

TEST(heteroscedastic_student_t_likelihood, a_rows_scale_enters_the_student_t_density_and_variance) {
  auto h = make_likelihood("heteroscedastic_student_t", {{"noise_prior_sd", 1}});
  EXPECT_EQ(h->outputs(), 2);
  // Scale output 0: the row's scale is sigma * 1.001; sigma = 1.5 / 1.001 gives 1.5, and nu
  // 5 (log t_5(0.7 | 0.2, 1.5) from lgamma in Python, as student_t's test).
  PredictiveDraws d = fixed_draws({0.2, 0.0}, {1.5 / 1.001, 5.0}, 1, 2);
  EXPECT_NEAR(h->log_density(d, std::vector<double>{0.7})[0], -1.440021417319215, 1e-12);
  PredictionTable p = h->predictions(d, 0.9);
  EXPECT_NEAR(p.values[1], 1.5 * std::sqrt(5.0 / 3.0), 1e-12);  // scale sqrt(nu / (nu - 2))
  // The 95 % quantile of t_5 is 2.015048372669157 (scipy.stats.t.ppf(0.95, 5)).
  EXPECT_NEAR(p.values[2], 0.2 - 2.015048372669157 * 1.5, 1e-6);
  EXPECT_NEAR(p.values[3], 0.2 + 2.015048372669157 * 1.5, 1e-6);
  // Scale output 2 multiplies the scale by (softplus(2) / ln 2 + 0.001) / 1.001.
  PredictiveDraws wide = fixed_draws({0.2, 2.0}, {1.5 / 1.001, 5.0}, 1, 2);
  const double ratio = (std::log1p(std::exp(2.0)) / std::log(2.0) + 0.001) / 1.001;
  EXPECT_NEAR(h->predictions(wide, 0.9).values[1], ratio * 1.5 * std::sqrt(5.0 / 3.0), 1e-12);
}

TEST(poisson_likelihood, a_known_rate_gives_whole_number_intervals_and_the_pmf) {
  auto poisson = make_likelihood("poisson");
  // log rate log 3: mean 3, sd sqrt 3; Poisson(3)'s CDF is 0.0498 at 0, 0.9665 at 6 and
  // 0.9881 at 7, so the central 94 % interval is [0, 7].
  PredictiveDraws d = fixed_draws({std::log(3.0)});
  PredictionTable p = poisson->predictions(d, 0.94);
  EXPECT_NEAR(p.values[0], 3, 1e-12);
  EXPECT_NEAR(p.values[1], std::sqrt(3.0), 1e-12);
  EXPECT_EQ(p.values[2], 0);
  EXPECT_EQ(p.values[3], 7);
  // log Poisson(2 | 3) = 2 log 3 - 3 - log 2
  EXPECT_NEAR(poisson->log_density(d, std::vector<double>{2})[0], 2 * std::log(3.0) - 3 - std::log(2.0), 1e-12);
  // A large rate: the interval stays near mean +- 1.88 sd (normal approximation within 1).
  PredictiveDraws big = fixed_draws({std::log(10000.0)});
  PredictionTable q = poisson->predictions(big, 0.94);
  EXPECT_NEAR(q.values[2], 10000 - 1.8807936081512509 * 100, 2);
  EXPECT_NEAR(q.values[3], 10000 + 1.8807936081512509 * 100, 2);
}

TEST(regression_likelihoods, a_mixture_adds_the_spread_of_the_means_to_the_noise) {
  auto normal = make_likelihood("normal");
  // Two draws with means -1 and 1, noise sd 1: sd^2 = 1 + 1; the median is 0 by symmetry.
  PredictiveDraws d;
  d.draws = 2;
  d.rows = 1;
  d.output = {-1, 1};
  d.parameters = {{1, 1}};
  PredictionTable p = normal->predictions(d, 0.5);
  EXPECT_NEAR(p.values[0], 0, 1e-12);
  EXPECT_NEAR(p.values[1], std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(p.values[2], -p.values[3], 1e-8);
}

TEST(regression_likelihoods, rmse_and_coverage_of_known_predictions) {
  auto poisson = make_likelihood("poisson");
  // Rates 3 at two rows; targets 2 (inside [0, 7]) and 9 (outside).
  PredictiveDraws d = fixed_draws({std::log(3.0), std::log(3.0)});
  std::vector<double> y = {2, 9};
  std::vector<Metric> m = poisson->metrics(d, y, 0.94);
  EXPECT_NEAR(value_of(m, "rmse"), std::sqrt((1.0 + 36.0) / 2), 1e-12);
  EXPECT_EQ(value_of(m, "coverage"), 0.5);
  Metrics all = evaluate_predictions(*poisson, d, y, 0.94);
  EXPECT_NEAR(all.mlpd, 0.5 * ((2 * std::log(3.0) - 3 - std::lgamma(3.0)) + (9 * std::log(3.0) - 3 - std::lgamma(10.0))),
              1e-12);
  EXPECT_EQ(all.find("coverage"), 0.5);
  EXPECT_FALSE(all.find("accuracy"));
}

TEST(classification_likelihoods, bernoulli_probabilities_metrics_and_columns) {
  auto bernoulli = make_likelihood("bernoulli");
  // Logits +-log 3: p(y = 1) = 0.75 and 0.25, labels 1 and 0.
  PredictiveDraws d = fixed_draws({std::log(3.0), -std::log(3.0)});
  PredictionTable t = bernoulli->predictions(d, 0.94);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"mean", "sd", "label", "entropy", "mutual_info"}));
  EXPECT_NEAR(t.values[0], 0.75, 1e-12);
  EXPECT_NEAR(t.values[1], 0, 1e-12);  // one draw: no spread
  EXPECT_EQ(t.values[2], 1);
  EXPECT_NEAR(t.values[3], -(0.75 * std::log(0.75) + 0.25 * std::log(0.25)), 1e-12);
  EXPECT_NEAR(t.values[4], 0, 1e-12);  // identical draws: no epistemic part
  EXPECT_EQ(t.values[7], 0);           // row 2's label
  std::vector<double> y = {1, 1};
  std::vector<Metric> m = bernoulli->metrics(d, y, 0.94);
  EXPECT_EQ(value_of(m, "accuracy"), 0.5);
  // Brier over both classes: row 1 (0.25^2 + 0.25^2), row 2 (0.75^2 + 0.75^2).
  EXPECT_NEAR(value_of(m, "brier"), (0.125 + 1.125) / 2, 1e-12);
  // ECE of p(y = 1): bins 0.2-0.3 (p 0.25, observed 1) and 0.7-0.8 (p 0.75, observed 1).
  EXPECT_NEAR(value_of(m, "ece"), 0.5 * 0.75 + 0.5 * 0.25, 1e-12);
  EXPECT_NEAR(bernoulli->log_density(d, y)[1], std::log(0.25), 1e-12);
  auto points = bernoulli->calibration(d, y);
  ASSERT_TRUE(points);
  EXPECT_EQ(points->outcome, y);
  EXPECT_EQ(bernoulli->class_names(), (std::vector<std::string>{"Class 0", "Class 1"}));
  EXPECT_FALSE(make_likelihood("poisson")->calibration(d, y));
  EXPECT_TRUE(make_likelihood("poisson")->class_names().empty());
}

TEST(classification_likelihoods, categorical_uses_the_confidence_of_the_predicted_class) {
  auto categorical = make_likelihood("categorical", {{"classes", 3}});
  // One row, logits log(0.2), log(0.5), log(0.3): probabilities 0.2, 0.5, 0.3, label 1.
  PredictiveDraws d = fixed_draws({std::log(0.2), std::log(0.5), std::log(0.3)}, {}, 1, 3);
  PredictionTable t = categorical->predictions(d, 0.94);
  EXPECT_EQ(t.columns.size(), 9u);
  EXPECT_EQ(t.columns[0], "p_0");
  EXPECT_NEAR(t.values[1], 0.5, 1e-12);
  EXPECT_EQ(t.values[6], 1);
  std::vector<double> y = {2};
  auto points = categorical->calibration(d, y);
  EXPECT_NEAR(points->probability[0], 0.5, 1e-12);
  EXPECT_EQ(points->outcome[0], 0);  // the predicted class 1 is wrong
  EXPECT_NEAR(categorical->log_density(d, y)[0], std::log(0.3), 1e-12);
  PredictionSurface s = categorical->surface(d, "y");
  EXPECT_EQ(s.label, std::vector<double>{1});
  EXPECT_NEAR(s.mean[0], 0.5, 1e-12);
}

TEST(classification_likelihoods, training_score_is_the_accuracy_of_the_mean_probability) {
  auto bernoulli = make_likelihood("bernoulli");
  TrainingScore s = bernoulli->training_score(std::vector<double>{0.9, 0.4, 0.6}, std::vector<double>{1, 1, 1}, {});
  EXPECT_EQ(s.name, "accuracy");
  EXPECT_NEAR(s.value, 2.0 / 3, 1e-15);
  auto normal = make_likelihood("normal");
  // Modelled means 0 and 1 at target scale (10, 2): 10 and 12 against 11 and 12.
  TrainingScore r = normal->training_score(std::vector<double>{0, 1}, std::vector<double>{11, 12}, {10, 2});
  EXPECT_EQ(r.name, "RMSE");
  EXPECT_NEAR(r.value, std::sqrt(0.5), 1e-15);
}

}  // namespace
}  // namespace elbo
