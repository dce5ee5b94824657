// normal: a real target, y ~ N(f, sigma^2), sigma ~ HalfNormal(noise_prior_sd) learned;
// the network models the standardised target.
#include "../regression_likelihood.hpp"
#include "../target_values.hpp"
#include "elbo/bnn/likelihood_registry.hpp"

namespace elbo {

namespace {

using namespace bnn_detail;

class NormalLikelihood : public LocationScaleLikelihood {
 public:
  explicit NormalLikelihood(double noise_prior_sd) : LocationScaleLikelihood("normal", noise_prior_sd) {}
  std::string name() const override { return "normal"; }

  LikelihoodNodes observe(Model& m, Expr f, Expr y, const ObservedOptions& o) const override {
    Expr mean = m.deterministic("mean", f);
    Expr sigma = m.half_normal("sigma", noise_prior_sd());
    m.normal_likelihood("out", f, sigma, y, o);
    return {mean, {sigma}};
  }

  std::string parameter_note(TargetScale scale) const override {
    return "sigma is the noise sd of the standardised target (times " + general_text(scale.sd) + " in target units)";
  }

 protected:
  double draw_mean(const PredictiveDraws& d, int64_t s, int64_t r) const override { return d.at(s, r); }
  double draw_variance(const PredictiveDraws& d, int64_t s, int64_t) const override {
    return sigma(d, s) * sigma(d, s);
  }
  double draw_cdf(const PredictiveDraws& d, int64_t s, int64_t r, double t) const override {
    return normal_cdf(t, d.at(s, r), sigma(d, s));
  }
  double draw_log_density(const PredictiveDraws& d, int64_t s, int64_t r, double y) const override {
    return normal_log_density(y, d.at(s, r), sigma(d, s));
  }
};

}  // namespace

LikelihoodEntry normal_likelihood_entry() {
  return {"normal", "a real target, identity link, learned noise sd",
          [](std::span<const double>) -> std::optional<std::string> {
            return "the target is not a set of class labels 0..K-1";
          },
          [](std::span<const double>) -> std::unique_ptr<Likelihood> { return std::make_unique<NormalLikelihood>(1.0); },
          [](const LikelihoodSettings& s) -> std::unique_ptr<Likelihood> {
            return std::make_unique<NormalLikelihood>(noise_prior_sd_setting(s));
          }};
}

}  // namespace elbo
