#include "elbo/distributions/normal.hpp"

#include <cmath>

#include "distribution_impl.hpp"

namespace elbo {
namespace {

class Normal final : public Distribution {
 public:
  Normal(Expr mu, Expr sigma) : Distribution("Normal", {"mu", "sigma"}, {mu, sigma}) {}
  std::string_view name() const override { return "Normal"; }
  std::vector<std::string> param_names() const override { return {"mu", "sigma"}; }
  Support support() const override { return Support::real; }

  Expr logp(Expr x) const override {
    const Expr &mu = params_[0], &sigma = params_[1];
    // Skip the ops a standard normal does not need (the tutorial's N(0, 1) priors).
    Expr z = is_constant_zero(mu) ? x : x - mu;
    if (!detail::is_constant(sigma, 1.0)) z = z / sigma;
    Expr r = -0.5 * square(z);
    if (detail::is_constant(sigma, 1.0)) return r - detail::kLogSqrt2Pi;
    return r - (detail::log_of(sigma) + detail::kLogSqrt2Pi);
  }

  // Constant scalar mu and sigma (every prior of a Bayesian network): one fused node.
  Expr logp_sum(Expr x) const override {
    const Tensor* mu = detail::constant_value(params_[0]);
    const Tensor* sigma = detail::constant_value(params_[1]);
    if (mu && sigma && mu->numel() == 1 && sigma->numel() == 1 && (*sigma)[0] > 0 && std::isfinite((*sigma)[0]) &&
        std::isfinite((*mu)[0]))
      return normal_logp_sum(x, (*mu)[0], (*sigma)[0]);
    return Distribution::logp_sum(x);
  }

  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    std::vector<double> z(static_cast<size_t>(numel(shape)));
    rng.normal(z.data(), numel(shape), stream, counter);
    return detail::map_params(name(), "draw", v, param_names(), shape, dtype,
                              [&](int64_t i, const double* p) { return p[0] + p[1] * z[i]; });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(name(), "central_point", v, param_names(), shape, dtype,
                              [](int64_t, const double* p) { return p[0]; });
  }

  void check_params(const std::string& var) const override {
    detail::check_finite(name(), var, "mu", params_[0]);
    detail::check_positive(name(), var, "sigma", params_[1]);
  }

 private:
  static bool is_constant_zero(const Expr& e) { return detail::is_constant(e, 0.0); }
};

}  // namespace

std::shared_ptr<const Distribution> normal(Expr mu, Expr sigma) {
  return std::make_shared<const Normal>(mu, sigma);
}

}  // namespace elbo
