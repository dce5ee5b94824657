#include "elbo/distributions/inverse_gamma.hpp"

#include <cmath>

#include "distribution_impl.hpp"
#include "sampling_impl.hpp"

namespace elbo {
namespace {

class InverseGamma final : public Distribution {
 public:
  InverseGamma(Expr alpha, Expr beta)
      : Distribution("InverseGamma", {"alpha", "beta"}, {alpha, beta}) {}
  std::string_view name() const override { return "InverseGamma"; }
  std::vector<std::string> param_names() const override { return {"alpha", "beta"}; }
  Support support() const override { return Support::positive; }

  Expr logp(Expr x) const override {
    const Expr &alpha = params_[0], &beta = params_[1];
    Expr ap1 = detail::fold(
        alpha, [](double a) { return a + 1; }, [](const Expr& a) { return a + 1.0; });
    return alpha * detail::log_of(beta) - detail::lgamma_of(alpha) - ap1 * detail::log_of(x) -
           beta / x;
  }

  // beta / G with G ~ Gamma(alpha, 1).
  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    detail::UniformStream s(rng, stream, counter, 3 * numel(shape));
    return detail::map_params(name(), "draw", v, param_names(), shape, dtype,
                              [&](int64_t, const double* p) {
                                return p[1] * std::exp(-detail::log_gamma_draw(p[0], s));
                              });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(
        name(), "central_point", v, param_names(), shape, dtype,
        [](int64_t, const double* p) { return p[0] > 1 ? p[1] / (p[0] - 1) : p[1] / (p[0] + 1); });
  }

  void check_params(const std::string& var) const override {
    detail::check_positive(name(), var, "alpha", params_[0]);
    detail::check_positive(name(), var, "beta", params_[1]);
  }
};

}  // namespace

std::shared_ptr<const Distribution> inverse_gamma(Expr alpha, Expr beta) {
  return std::make_shared<const InverseGamma>(alpha, beta);
}

}  // namespace elbo
