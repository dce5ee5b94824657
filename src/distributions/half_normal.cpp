#include "elbo/distributions/half_normal.hpp"

#include <cmath>
#include <numbers>

#include "distribution_impl.hpp"

namespace elbo {
namespace {

class HalfNormal final : public Distribution {
 public:
  explicit HalfNormal(Expr sigma) : Distribution("HalfNormal", {"sigma"}, {sigma}) {}
  std::string_view name() const override { return "HalfNormal"; }
  std::vector<std::string> param_names() const override { return {"sigma"}; }
  Support support() const override { return Support::positive; }

  Expr logp(Expr x) const override {
    const Expr& sigma = params_[0];
    const double c = 0.5 * std::log(2.0 / std::numbers::pi);
    return -0.5 * square(x / sigma) + (c - detail::log_of(sigma));
  }

  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    std::vector<double> z(static_cast<size_t>(numel(shape)));
    rng.normal(z.data(), numel(shape), stream, counter);
    return detail::map_params(name(), "draw", v, param_names(), shape, dtype,
                              [&](int64_t i, const double* p) { return p[0] * std::abs(z[i]); });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(
        name(), "central_point", v, param_names(), shape, dtype,
        [](int64_t, const double* p) { return p[0] * std::sqrt(2.0 / std::numbers::pi); });
  }

  void check_params(const std::string& var) const override {
    detail::check_positive(name(), var, "sigma", params_[0]);
  }
};

}  // namespace

std::shared_ptr<const Distribution> half_normal(Expr sigma) {
  return std::make_shared<const HalfNormal>(sigma);
}

}  // namespace elbo
