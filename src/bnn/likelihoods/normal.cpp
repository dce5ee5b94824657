// normal: a real target, y ~ N(f, sigma^2), sigma ~ HalfNormal(noise_prior_sd) learned;
// the network models the standardised target.
#include <cmath>

#include "../regression_likelihood.hpp"
#include "../target_values.hpp"
#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/graph/error.hpp"

namespace elbo {

namespace {

using namespace bnn_detail;

class NormalLikelihood : public RegressionLikelihood {
 public:
  explicit NormalLikelihood(double noise_prior_sd) : noise_prior_sd_(noise_prior_sd) {
    if (!(noise_prior_sd > 0) || !std::isfinite(noise_prior_sd))
      throw InvalidArgument("normal likelihood: 'noise_prior_sd' is " + number_text(noise_prior_sd) +
                            ", but must be positive");
  }
  std::string name() const override { return "normal"; }
  LikelihoodSettings settings() const override { return {{"noise_prior_sd", noise_prior_sd_}}; }
  bool standardizes_target() const override { return true; }
  std::string check_targets(std::span<const double>) const override { return {}; }

  LikelihoodNodes observe(Model& m, Expr f, Expr y, const ObservedOptions& o) const override {
    Expr mean = m.deterministic("mean", f);
    Expr sigma = m.half_normal("sigma", noise_prior_sd_);
    m.normal_likelihood("out", f, sigma, y, o);
    return {mean, {sigma}};
  }

  void to_target_units(PredictiveDraws& d, TargetScale scale) const override {
    for (double& v : d.output) v = v * scale.sd + scale.mean;
    for (double& s : d.parameters[0]) s *= scale.sd;
  }

  std::string parameter_note(TargetScale scale) const override {
    return "sigma is the noise sd of the standardised target (times " + general_text(scale.sd) + " in target units)";
  }

 protected:
  double draw_mean(const PredictiveDraws& d, int64_t s, int64_t r) const override { return d.at(s, r); }
  double draw_variance(const PredictiveDraws& d, int64_t s, int64_t) const override {
    return d.parameters[0][s] * d.parameters[0][s];
  }
  double draw_cdf(const PredictiveDraws& d, int64_t s, int64_t r, double t) const override {
    return 0.5 * std::erfc(-((t - d.at(s, r)) / d.parameters[0][s]) / std::sqrt(2.0));
  }
  double draw_log_density(const PredictiveDraws& d, int64_t s, int64_t r, double y) const override {
    double sigma = d.parameters[0][s], z = (y - d.at(s, r)) / sigma;
    return -0.5 * z * z - std::log(sigma) - 0.5 * std::log(2 * M_PI);
  }

 private:
  double noise_prior_sd_;
};

double noise_prior_sd(const LikelihoodSettings& s) {
  auto it = s.find("noise_prior_sd");
  return it == s.end() ? 1.0 : it->second;
}

}  // namespace

LikelihoodEntry normal_likelihood_entry() {
  return {"normal", "a real target, identity link, learned noise sd",
          [](std::span<const double>) -> std::optional<std::string> {
            return "the target is not a set of class labels 0..K-1";
          },
          [](std::span<const double>) -> std::unique_ptr<Likelihood> { return std::make_unique<NormalLikelihood>(1.0); },
          [](const LikelihoodSettings& s) -> std::unique_ptr<Likelihood> {
            return std::make_unique<NormalLikelihood>(noise_prior_sd(s));
          }};
}

}  // namespace elbo
