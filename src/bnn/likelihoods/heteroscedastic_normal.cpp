// heteroscedastic_normal: a real target whose noise depends on the inputs, y_r ~ N(f_1,
// (sigma s(f_2))^2) with sigma ~ HalfNormal(noise_prior_sd) learned and s the factor of
// HeteroscedasticLikelihood (regression_likelihood.hpp): the network has two outputs per row.
// The network models the standardised target.
#include "../regression_likelihood.hpp"
#include "../target_values.hpp"
#include "elbo/bnn/likelihood_registry.hpp"

namespace elbo {

namespace {

using namespace bnn_detail;

class HeteroscedasticNormalLikelihood : public HeteroscedasticLikelihood {
 public:
  explicit HeteroscedasticNormalLikelihood(double noise_prior_sd)
      : HeteroscedasticLikelihood("heteroscedastic_normal", noise_prior_sd) {}
  std::string name() const override { return "heteroscedastic_normal"; }

  LikelihoodNodes observe(Model& m, Expr f, Expr y, const ObservedOptions& o) const override {
    const Columns c = columns(f);
    Expr mean = m.deterministic("mean", c.location);
    Expr sigma = m.half_normal("sigma", noise_prior_sd());
    m.normal_likelihood("out", c.location, sigma * c.sd_factor, y, o);
    return {mean, {sigma}};
  }

  std::string parameter_note(TargetScale scale) const override {
    return "sigma is the noise sd of the standardised target (times " + general_text(scale.sd) +
           " in target units) where the network's second output f_2 is 0; a row's sd is sigma s(f_2), s(u) = "
           "softplus(u) / ln 2 + " + general_text(kSdFloor);
  }

 protected:
  double draw_variance(const PredictiveDraws& d, int64_t s, int64_t r) const override {
    const double sd = row_sd(d, s, r);
    return sd * sd;
  }
  double draw_cdf(const PredictiveDraws& d, int64_t s, int64_t r, double t) const override {
    return normal_cdf(t, d.at(s, r, 0), row_sd(d, s, r));
  }
  double draw_log_density(const PredictiveDraws& d, int64_t s, int64_t r, double y) const override {
    return normal_log_density(y, d.at(s, r, 0), row_sd(d, s, r));
  }
};

}  // namespace

LikelihoodEntry heteroscedastic_normal_likelihood_entry() {
  return {"heteroscedastic_normal",
          "a real target, identity link, a noise sd that depends on the inputs (a second network output scales a "
          "learned sd)",
          nullptr,  // never inferred: asked for with its name
          [](std::span<const double>) -> std::unique_ptr<Likelihood> {
            return std::make_unique<HeteroscedasticNormalLikelihood>(1.0);
          },
          [](const LikelihoodSettings& s) -> std::unique_ptr<Likelihood> {
            return std::make_unique<HeteroscedasticNormalLikelihood>(noise_prior_sd_setting(s));
          }};
}

}  // namespace elbo
