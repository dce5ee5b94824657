// poisson: a count target (a whole number >= 0), y ~ Poisson(exp(f)) (log link); the
// target is used as it is (counts are not standardised).
#include <cmath>

#include "../regression_likelihood.hpp"
#include "../special_functions.hpp"
#include "../target_values.hpp"
#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/graph/error.hpp"

namespace elbo {

namespace {

using namespace bnn_detail;

class PoissonLikelihood : public RegressionLikelihood {
 public:
  std::string name() const override { return "poisson"; }

  std::string check_targets(std::span<const double> y) const override {
    for (size_t i = 0; i < y.size(); ++i)
      if (!is_whole_non_negative(y[i])) return at_row(y[i], i) + " is not a count (a whole number >= 0)";
    return {};
  }

  LikelihoodNodes observe(Model& m, Expr f, Expr y, const ObservedOptions& o) const override {
    Expr rate = m.deterministic("rate", exp(f));
    m.poisson("out", rate, y, o);
    return {rate, {}};
  }

  std::string parameter_note(TargetScale) const override {
    return "the network's output is the log of the expected count";
  }

 protected:
  // The draws are of the log rate f; the rate is exp(f), the Poisson's mean and variance.
  double draw_mean(const PredictiveDraws& d, int64_t s, int64_t r) const override { return std::exp(d.at(s, r)); }
  double draw_variance(const PredictiveDraws& d, int64_t s, int64_t r) const override {
    return std::exp(d.at(s, r));
  }
  double draw_cdf(const PredictiveDraws& d, int64_t s, int64_t r, double t) const override {
    if (t < 0) return 0;
    return regularized_gamma_q(std::floor(t) + 1, std::exp(d.at(s, r)));
  }
  double draw_log_density(const PredictiveDraws& d, int64_t s, int64_t r, double y) const override {
    const double f = d.at(s, r);
    return y * f - std::exp(f) - log_gamma(y + 1);
  }
  bool whole_numbers() const override { return true; }
};

}  // namespace

LikelihoodEntry poisson_likelihood_entry() {
  return {"poisson", "a count (a whole number >= 0), log link",
          nullptr,  // never inferred: counts 0..K-1 would be read as classes; asked for with its name
          [](std::span<const double> y) -> std::unique_ptr<Likelihood> {
            auto l = std::make_unique<PoissonLikelihood>();
            if (std::string problem = l->check_targets(y); !problem.empty()) throw InvalidArgument(problem);
            return l;
          },
          [](const LikelihoodSettings&) -> std::unique_ptr<Likelihood> { return std::make_unique<PoissonLikelihood>(); }};
}

}  // namespace elbo
