#include "elbo/distributions/poisson.hpp"

#include <cmath>

#include "distribution_impl.hpp"
#include "sampling_impl.hpp"

namespace elbo {
namespace {

class Poisson final : public Distribution {
 public:
  explicit Poisson(Expr mu) : Distribution("Poisson", {"mu"}, {mu}) {}
  std::string_view name() const override { return "Poisson"; }
  std::vector<std::string> param_names() const override { return {"mu"}; }
  Support support() const override { return Support::nonnegative_integer; }

  Expr logp(Expr k) const override {
    const Expr& mu = params_[0];
    Expr log_k_factorial = detail::fold(
        k, [](double v) { return std::lgamma(v + 1); },
        [](const Expr& v) { return detail::lgamma_of(v + 1.0); });
    return k * detail::log_of(mu) - mu - log_k_factorial;
  }

  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    detail::UniformStream s(rng, stream, counter, 4 * numel(shape));
    return detail::map_params(
        name(), "draw", v, param_names(), shape, dtype,
        [&](int64_t, const double* p) { return detail::poisson_draw(p[0], s); });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(name(), "central_point", v, param_names(), shape, dtype,
                              [](int64_t, const double* p) { return std::floor(p[0]); });
  }

  void check_params(const std::string& var) const override {
    detail::check_finite(name(), var, "mu", params_[0]);
    detail::check_param(
        name(), var, "mu", params_[0], [](double x) { return x >= 0; }, "non-negative");
  }
};

}  // namespace

std::shared_ptr<const Distribution> poisson(Expr mu) { return std::make_shared<const Poisson>(mu); }

}  // namespace elbo
