#include "elbo/distributions/log_normal.hpp"

#include <cmath>

#include "distribution_impl.hpp"

namespace elbo {
namespace {

class LogNormal final : public Distribution {
 public:
  LogNormal(Expr mu, Expr sigma) : Distribution("LogNormal", {"mu", "sigma"}, {mu, sigma}) {}
  std::string_view name() const override { return "LogNormal"; }
  std::vector<std::string> param_names() const override { return {"mu", "sigma"}; }
  Support support() const override { return Support::positive; }

  Expr logp(Expr x) const override {
    const Expr &mu = params_[0], &sigma = params_[1];
    Expr lx = detail::log_of(x);
    return -0.5 * square((lx - mu) / sigma) - (detail::log_of(sigma) + detail::kLogSqrt2Pi) - lx;
  }

  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    std::vector<double> z(static_cast<size_t>(numel(shape)));
    rng.normal(z.data(), numel(shape), stream, counter);
    return detail::map_params(
        name(), "draw", v, param_names(), shape, dtype,
        [&](int64_t i, const double* p) { return std::exp(p[0] + p[1] * z[i]); });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(
        name(), "central_point", v, param_names(), shape, dtype,
        [](int64_t, const double* p) { return std::exp(p[0] + 0.5 * p[1] * p[1]); });
  }

  void check_params(const std::string& var) const override {
    detail::check_finite(name(), var, "mu", params_[0]);
    detail::check_positive(name(), var, "sigma", params_[1]);
  }
};

}  // namespace

std::shared_ptr<const Distribution> log_normal(Expr mu, Expr sigma) {
  return std::make_shared<const LogNormal>(mu, sigma);
}

}  // namespace elbo
