#include "elbo/distributions/half_cauchy.hpp"

#include <cmath>
#include <numbers>

#include "distribution_impl.hpp"

namespace elbo {
namespace {

class HalfCauchy final : public Distribution {
 public:
  explicit HalfCauchy(Expr beta) : Distribution("HalfCauchy", {"beta"}, {beta}) {}
  std::string_view name() const override { return "HalfCauchy"; }
  std::vector<std::string> param_names() const override { return {"beta"}; }
  Support support() const override { return Support::positive; }

  Expr logp(Expr x) const override {
    const Expr& beta = params_[0];
    const double c = std::log(2.0) - detail::kLogPi;
    return -log1p(square(x / beta)) + (c - detail::log_of(beta));
  }

  // beta tan(pi U / 2), inversion of the CDF.
  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    std::vector<double> u(static_cast<size_t>(numel(shape)));
    rng.uniform(u.data(), numel(shape), stream, counter);
    return detail::map_params(
        name(), "draw", v, param_names(), shape, dtype,
        [&](int64_t i, const double* p) { return p[0] * std::tan(0.5 * std::numbers::pi * u[i]); });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(name(), "central_point", v, param_names(), shape, dtype,
                              [](int64_t, const double* p) { return p[0]; });
  }

  void check_params(const std::string& var) const override {
    detail::check_positive(name(), var, "beta", params_[0]);
  }
};

}  // namespace

std::shared_ptr<const Distribution> half_cauchy(Expr beta) {
  return std::make_shared<const HalfCauchy>(beta);
}

}  // namespace elbo
