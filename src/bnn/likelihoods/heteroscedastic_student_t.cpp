// heteroscedastic_student_t: a real target with outliers whose noise depends on the inputs,
// y_r ~ StudentT(nu, f_1, sigma s(f_2)) with sigma ~ HalfNormal(noise_prior_sd) and nu = 2 +
// g, g ~ Gamma(2, 0.1), as student_t's; s is the factor of HeteroscedasticLikelihood
// (regression_likelihood.hpp): the network has two outputs per row. The network models the
// standardised target.
#include "../regression_likelihood.hpp"
#include "../target_values.hpp"
#include "elbo/bnn/likelihood_registry.hpp"

namespace elbo {

namespace {

using namespace bnn_detail;

class HeteroscedasticStudentTLikelihood : public HeteroscedasticLikelihood {
 public:
  explicit HeteroscedasticStudentTLikelihood(double noise_prior_sd)
      : HeteroscedasticLikelihood("heteroscedastic_student_t", noise_prior_sd) {}
  std::string name() const override { return "heteroscedastic_student_t"; }

  LikelihoodNodes observe(Model& m, Expr f, Expr y, const ObservedOptions& o) const override {
    const Columns c = columns(f);
    Expr mean = m.deterministic("mean", c.location);
    Expr sigma = m.half_normal("sigma", noise_prior_sd());
    Expr nu = m.deterministic("nu", m.gamma("nu_minus_2", 2.0, 0.1) + 2.0);
    m.student_t_likelihood("out", nu, c.location, sigma * c.sd_factor, y, o);
    return {mean, {sigma, nu}};
  }

  std::string parameter_note(TargetScale scale) const override {
    return "sigma is the scale of the standardised target (times " + general_text(scale.sd) +
           " in target units) where the network's second output f_2 is 0; a row's scale is sigma s(f_2), s(u) = "
           "softplus(u) / ln 2 + " + general_text(kSdFloor) + "; the degrees of freedom are nu = 2 + nu_minus_2";
  }

 protected:
  double draw_variance(const PredictiveDraws& d, int64_t s, int64_t r) const override {
    const double scale = row_sd(d, s, r), nu = d.parameters[1][s];
    return scale * scale * nu / (nu - 2);
  }
  double draw_cdf(const PredictiveDraws& d, int64_t s, int64_t r, double t) const override {
    return student_t_cdf(t, d.parameters[1][s], d.at(s, r, 0), row_sd(d, s, r));
  }
  double draw_log_density(const PredictiveDraws& d, int64_t s, int64_t r, double y) const override {
    return student_t_log_density(y, d.parameters[1][s], d.at(s, r, 0), row_sd(d, s, r));
  }
};

}  // namespace

LikelihoodEntry heteroscedastic_student_t_likelihood_entry() {
  return {"heteroscedastic_student_t",
          "a real target with outliers, identity link, a scale that depends on the inputs (a second network output "
          "scales a learned scale) and learned degrees of freedom",
          nullptr,  // never inferred: asked for with its name
          [](std::span<const double>) -> std::unique_ptr<Likelihood> {
            return std::make_unique<HeteroscedasticStudentTLikelihood>(1.0);
          },
          [](const LikelihoodSettings& s) -> std::unique_ptr<Likelihood> {
            return std::make_unique<HeteroscedasticStudentTLikelihood>(noise_prior_sd_setting(s));
          }};
}

}  // namespace elbo
