// student_t: robust regression, y ~ StudentT(nu, f, sigma) with sigma ~ HalfNormal(1) and
// nu = 2 + g, g ~ Gamma(2, 0.1), both learned; the network models the standardised
// target. Gamma(2, 0.1) is the prior on nu that Stan's prior-choice recommendations give
// (Juarez and Steel 2010), mean 20; shifted by 2 so that every draw has a finite variance
// and the predictive sd exists.
#include "../regression_likelihood.hpp"
#include "../target_values.hpp"
#include "elbo/bnn/likelihood_registry.hpp"

namespace elbo {

namespace {

using namespace bnn_detail;

class StudentTLikelihood : public LocationScaleLikelihood {
 public:
  explicit StudentTLikelihood(double noise_prior_sd) : LocationScaleLikelihood("student_t", noise_prior_sd) {}
  std::string name() const override { return "student_t"; }

  LikelihoodNodes observe(Model& m, Expr f, Expr y, const ObservedOptions& o) const override {
    Expr mean = m.deterministic("mean", f);
    Expr sigma = m.half_normal("sigma", noise_prior_sd());
    Expr nu = m.deterministic("nu", m.gamma("nu_minus_2", 2.0, 0.1) + 2.0);
    m.student_t_likelihood("out", nu, f, sigma, y, o);
    return {mean, {sigma, nu}};
  }

  std::string parameter_note(TargetScale scale) const override {
    return "sigma is the scale of the standardised target (times " + general_text(scale.sd) +
           " in target units); the degrees of freedom are nu = 2 + nu_minus_2";
  }

 protected:
  double draw_mean(const PredictiveDraws& d, int64_t s, int64_t r) const override { return d.at(s, r); }
  double draw_variance(const PredictiveDraws& d, int64_t s, int64_t) const override {
    const double nu = d.parameters[1][s];
    return sigma(d, s) * sigma(d, s) * nu / (nu - 2);
  }
  double draw_cdf(const PredictiveDraws& d, int64_t s, int64_t r, double t) const override {
    return student_t_cdf(t, d.parameters[1][s], d.at(s, r), sigma(d, s));
  }
  double draw_log_density(const PredictiveDraws& d, int64_t s, int64_t r, double y) const override {
    return student_t_log_density(y, d.parameters[1][s], d.at(s, r), sigma(d, s));
  }
};

}  // namespace

LikelihoodEntry student_t_likelihood_entry() {
  return {"student_t", "a real target with outliers, identity link, learned sd and degrees of freedom",
          nullptr,  // never inferred: asked for with its name
          [](std::span<const double>) -> std::unique_ptr<Likelihood> { return std::make_unique<StudentTLikelihood>(1.0); },
          [](const LikelihoodSettings& s) -> std::unique_ptr<Likelihood> {
            return std::make_unique<StudentTLikelihood>(noise_prior_sd_setting(s));
          }};
}

}  // namespace elbo
