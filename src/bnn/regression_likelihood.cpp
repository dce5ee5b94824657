#include "regression_likelihood.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "elbo/graph/error.hpp"
#include "elbo/graph/ops.hpp"
#include "../vi/softplus.hpp"
#include "special_functions.hpp"
#include "target_values.hpp"

namespace elbo::bnn_detail {

RegressionSummary RegressionLikelihood::regress(const PredictiveDraws& d, double level) const {
  const int64_t R = d.rows, S = d.draws;
  RegressionSummary g;
  g.mean.resize(static_cast<size_t>(R));
  g.sd.resize(static_cast<size_t>(R));
  g.lo.resize(static_cast<size_t>(R));
  g.hi.resize(static_cast<size_t>(R));
  const double p_lo = (1 - level) / 2, p_hi = (1 + level) / 2;
  for (int64_t r = 0; r < R; ++r) {
    // sd^2 = mean_s var_s + var_s mean_s (the law of total variance over the mixture).
    double m = 0, m2 = 0, noise_var = 0;
    for (int64_t s = 0; s < S; ++s) {
      const double mu = draw_mean(d, s, r);
      m += mu;
      m2 += mu * mu;
      const double v = draw_variance(d, s, r);
      noise_var += v;
    }
    m /= static_cast<double>(S);
    noise_var /= static_cast<double>(S);
    double var_mu = std::max(0.0, m2 / static_cast<double>(S) - m * m);
    g.mean[r] = m;
    g.sd[r] = std::sqrt(noise_var + var_mu);
    auto cdf = [&](double t) {
      double c = 0;
      for (int64_t s = 0; s < S; ++s) c += draw_cdf(d, s, r, t);
      return c / static_cast<double>(S);
    };
    // Quantiles of the mixture from its CDF: a bracket found from the normal with the
    // mixture's mean and sd (a step of one sd from its quantile, doubled until the CDF
    // crosses q), then the Illinois variant of regula falsi, every fourth step a bisection,
    // until the bracket is 1e-10 of the values wide.
    const double step0 = std::isfinite(g.sd[r]) ? std::max(g.sd[r], 1e-12 * (1 + std::abs(m))) : 1 + std::abs(m);
    auto quantile = [&](double q) {
      // The logistic approximation of the standard normal's quantile: a start within 0.1 sd.
      double t = m + step0 * std::sqrt(3.0) / M_PI * std::log(q / (1 - q)), ft = cdf(t) - q;
      double a = t, b = t, fa = ft, fb = ft, step = step0;
      if (ft < 0) {
        for (int grow = 0; grow < 60 && fb < 0; ++grow, step *= 2) a = b, fa = fb, fb = cdf(b += step) - q;
      } else {
        for (int grow = 0; grow < 60 && fa > 0; ++grow, step *= 2) b = a, fb = fa, fa = cdf(a -= step) - q;
      }
      if (whole_numbers()) {
        // The smallest whole k with cdf(k) >= q, in (floor(a), ceil(b)].
        double lo = std::max(-1.0, std::floor(a)), hi = std::ceil(b);
        for (int it = 0; it < 200 && hi - lo > 1; ++it) {  // the cap: beyond 2^53 mid may not move
          double mid = std::floor(0.5 * (lo + hi));
          (cdf(mid) >= q ? hi : lo) = mid;
        }
        return hi;
      }
      int kept = 0;  // the end the last step kept: -1 a, +1 b
      for (int it = 0; it < 240 && b - a > 1e-10 * (1 + std::abs(a) + std::abs(b)); ++it) {
        double t = fb != fa ? b - fb * (b - a) / (fb - fa) : 0.5 * (a + b);
        if (it % 4 == 3 || !(t > a && t < b)) t = 0.5 * (a + b);
        const double ft = cdf(t) - q;
        if (ft < 0) {
          a = t, fa = ft;
          if (kept == 1) fb *= 0.5;  // b kept twice: halve its value so the next point moves it
          kept = 1;
        } else {
          b = t, fb = ft;
          if (kept == -1) fa *= 0.5;
          kept = -1;
        }
      }
      return 0.5 * (a + b);
    };
    g.lo[r] = quantile(p_lo);
    g.hi[r] = quantile(p_hi);
  }
  return g;
}

std::vector<double> RegressionLikelihood::log_density(const PredictiveDraws& d, std::span<const double> y) const {
  std::vector<double> out(static_cast<size_t>(d.rows)), lp(static_cast<size_t>(d.draws));
  for (int64_t r = 0; r < d.rows; ++r) {
    for (int64_t s = 0; s < d.draws; ++s) lp[s] = draw_log_density(d, s, r, y[r]);
    out[r] = log_mean_exp(lp);
  }
  return out;
}

PredictionTable RegressionLikelihood::predictions(const PredictiveDraws& d, double level) const {
  RegressionSummary g = regress(d, level);
  PredictionTable t;
  t.columns = {"mean", "sd", "lo", "hi"};
  t.values.reserve(static_cast<size_t>(d.rows * 4));
  for (int64_t r = 0; r < d.rows; ++r)
    for (double v : {g.mean[r], g.sd[r], g.lo[r], g.hi[r]}) t.values.push_back(v);
  return t;
}

std::vector<double> RegressionLikelihood::metric_rows(const PredictiveDraws& d, std::span<const double> y,
                                                      double level) const {
  // Per row: the squared error of the predictive mean and whether y lies in [lo, hi].
  RegressionSummary g = regress(d, level);
  std::vector<double> rows(static_cast<size_t>(2 * d.rows));
  for (int64_t r = 0; r < d.rows; ++r) {
    rows[2 * r] = (g.mean[r] - y[r]) * (g.mean[r] - y[r]);
    rows[2 * r + 1] = y[r] >= g.lo[r] && y[r] <= g.hi[r];
  }
  return rows;
}

void RegressionLikelihood::add_metric_rows(std::span<const double> rows, std::vector<double>& sums) const {
  sums.resize(2, 0.0);  // the squared errors, the targets inside
  for (size_t r = 0; r + 1 < rows.size(); r += 2) {
    sums[0] += rows[r];
    sums[1] += rows[r + 1];
  }
}

std::vector<Metric> RegressionLikelihood::metrics_of_sums(std::span<const double> sums, int64_t rows,
                                                          double level) const {
  const double count = static_cast<double>(rows);
  char percent[32];
  std::snprintf(percent, sizeof percent, "%g", 100 * level);
  return {{"rmse", std::sqrt(sums[0] / count), MetricFormat::general, "of the predictive mean, target units"},
          {"coverage", sums[1] / count, MetricFormat::percent,
           std::string("share of targets inside the central ") + percent + "% interval"}};
}

PredictionSurface RegressionLikelihood::surface(const PredictiveDraws& d, const std::string& target) const {
  RegressionSummary g = regress(d, 0.94);
  PredictionSurface s;
  s.mean = g.mean;
  s.sd = g.sd;
  s.mean_title = "Posterior predictive mean of " + target;
  s.mean_label = "Posterior predictive mean";
  s.sd_label = "Posterior predictive standard deviation (with noise)";
  return s;
}

TrainingScore RegressionLikelihood::training_score(std::span<const double> mean_output, std::span<const double> y,
                                                   TargetScale scale) const {
  double se = 0;
  for (size_t r = 0; r < y.size(); ++r) {
    double m = mean_output[r] * scale.sd + scale.mean;
    se += (m - y[r]) * (m - y[r]);
  }
  return {"RMSE", std::sqrt(se / static_cast<double>(y.size())), MetricFormat::general};
}

LocationScaleLikelihood::LocationScaleLikelihood(const std::string& name, double noise_prior_sd)
    : noise_prior_sd_(noise_prior_sd) {
  if (!(noise_prior_sd > 0) || !std::isfinite(noise_prior_sd))
    throw InvalidArgument(name + " likelihood: 'noise_prior_sd' is " + number_text(noise_prior_sd) +
                          ", but must be positive");
}

void LocationScaleLikelihood::to_target_units(PredictiveDraws& d, TargetScale scale) const {
  // The location is each row's first output; a further one (a heteroscedastic scale
  // output) has no units.
  const size_t stride = static_cast<size_t>(d.outputs);
  for (size_t i = 0; i < d.output.size(); i += stride) d.output[i] = d.output[i] * scale.sd + scale.mean;
  for (double& s : d.parameters[0]) s *= scale.sd;
}

HeteroscedasticLikelihood::Columns HeteroscedasticLikelihood::columns(Expr f) {
  // Each column as [N] by a sum over its one value (exact, and free of the row count, which
  // programs change).
  Expr location = sum(slice(f, 1, 0, 1), 1);
  Expr u = sum(slice(f, 1, 1, 2), 1);
  return {location, softplus(u) * (1.0 / M_LN2) + kSdFloor};
}

double HeteroscedasticLikelihood::row_sd(const PredictiveDraws& d, int64_t s, int64_t r) {
  return sigma(d, s) * (detail::softplus(d.at(s, r, 1)) * (1.0 / M_LN2) + kSdFloor);
}

double normal_log_density(double y, double mean, double sd) {
  const double z = (y - mean) / sd;
  return -0.5 * z * z - std::log(sd) - 0.5 * std::log(2 * M_PI);
}

double normal_cdf(double t, double mean, double sd) { return 0.5 * std::erfc(-((t - mean) / sd) / std::sqrt(2.0)); }

double student_t_log_density(double y, double nu, double mean, double scale) {
  const double z = (y - mean) / scale;
  return log_gamma(0.5 * (nu + 1)) - log_gamma(0.5 * nu) - 0.5 * std::log(nu * M_PI) - std::log(scale) -
         0.5 * (nu + 1) * std::log1p(z * z / nu);
}

double student_t_cdf(double t, double nu, double mean, double scale) {
  const double z = (t - mean) / scale;
  const double tail = 0.5 * regularized_beta(0.5 * nu, 0.5, nu / (nu + z * z));
  return z > 0 ? 1 - tail : tail;
}

double noise_prior_sd_setting(const LikelihoodSettings& settings) {
  auto it = settings.find("noise_prior_sd");
  return it == settings.end() ? 1.0 : it->second;
}

}  // namespace elbo::bnn_detail
