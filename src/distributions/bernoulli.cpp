#include "elbo/distributions/bernoulli.hpp"

#include <cmath>

#include "distribution_impl.hpp"

namespace elbo {
namespace {

double sigmoid_value(double z) {
  return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
}

class Bernoulli final : public Distribution {
 public:
  // by_logit: the parameter is logit_p; else it is p.
  // p = sigmoid(z) is seen by the program compiler, which runs bernoulli_logp(p, y) on it
  // as bernoulli_logit_logp(z, y) (src/graph/rewrites/bernoulli_logit.cpp).
  Bernoulli(Expr param, bool by_logit)
      : Distribution("Bernoulli", {by_logit ? "logit_p" : "p"}, {param}), by_logit_(by_logit) {
    if (by_logit) logit_ = param;
  }
  std::string_view name() const override { return "Bernoulli"; }
  std::vector<std::string> param_names() const override { return {by_logit_ ? "logit_p" : "p"}; }
  Support support() const override { return Support::binary; }

  Expr logp(Expr x) const override {
    // log_sigmoid(-z) = log_sigmoid(z) - z, so log p(x) = log_sigmoid(z) + (x - 1) z for
    // x in {0, 1}: one transcendental per element, and x - 1 is computed once per data.
    if (logit_.valid()) {
      if (logit_.shape() == x.shape()) return bernoulli_logit_logp(logit_, x);  // one fused node
      return log_sigmoid(logit_) + (x - 1.0) * logit_;
    }
    const Expr& p = params_[0];
    if (p.shape() == x.shape()) return bernoulli_logp(p, x);  // one node
    return where(x, detail::log_of(p), log1p(-p));
  }

  Expr logp_sum(Expr x) const override {
    if (logit_.valid() && logit_.shape() == x.shape()) return bernoulli_logit_logp_sum(logit_, x);
    return Distribution::logp_sum(x);
  }
  Expr logp_mean(Expr x, double scale = 1.0) const override {
    if (logit_.valid() && logit_.shape() == x.shape()) return bernoulli_logit_logp_mean(logit_, x, scale);
    return Distribution::logp_mean(x, scale);
  }

  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    std::vector<double> u(static_cast<size_t>(numel(shape)));
    rng.uniform(u.data(), numel(shape), stream, counter);
    return detail::map_params(
        name(), "draw", v, param_names(), shape, dtype,
        [&](int64_t i, const double* p) { return u[i] < prob(p[0]) ? 1.0 : 0.0; });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(
        name(), "central_point", v, param_names(), shape, dtype,
        [&](int64_t, const double* p) { return prob(p[0]) >= 0.5 ? 1.0 : 0.0; });
  }

  void check_params(const std::string& var) const override {
    if (by_logit_)
      detail::check_param(
          name(), var, "logit_p", params_[0], [](double x) { return !std::isnan(x); }, "a number");
    else
      detail::check_probability(name(), var, "p", params_[0]);
  }

 private:
  double prob(double param) const { return by_logit_ ? sigmoid_value(param) : param; }
  bool by_logit_;
  Expr logit_;  // valid for the logit parameterisation
};

}  // namespace

std::shared_ptr<const Distribution> bernoulli(Expr p) {
  return std::make_shared<const Bernoulli>(p, false);
}

std::shared_ptr<const Distribution> bernoulli_logit(Expr logit_p) {
  return std::make_shared<const Bernoulli>(logit_p, true);
}

}  // namespace elbo
