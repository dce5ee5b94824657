#include "elbo/distributions/beta.hpp"

#include <cmath>

#include "distribution_impl.hpp"
#include "sampling_impl.hpp"

namespace elbo {
namespace {

class Beta final : public Distribution {
 public:
  Beta(Expr alpha, Expr beta) : Distribution("Beta", {"alpha", "beta"}, {alpha, beta}) {}
  std::string_view name() const override { return "Beta"; }
  std::vector<std::string> param_names() const override { return {"alpha", "beta"}; }
  Support support() const override { return Support::unit_interval; }

  Expr logp(Expr x) const override {
    const Expr &a = params_[0], &b = params_[1];
    // -log B(a, b), one constant when both are fixed.
    Expr norm = detail::fold(
        a, b,
        [](double p, double q) { return std::lgamma(p + q) - std::lgamma(p) - std::lgamma(q); },
        [](const Expr& p, const Expr& q) {
          return detail::lgamma_of(p + q) - detail::lgamma_of(p) - detail::lgamma_of(q);
        });
    auto minus1 = [](const Expr& e) {
      return detail::fold(
          e, [](double v) { return v - 1; }, [](const Expr& u) { return u - 1.0; });
    };
    return norm + minus1(a) * detail::log_of(x) + minus1(b) * log1p(-x);
  }

  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    detail::UniformStream s(rng, stream, counter, 6 * numel(shape));
    return detail::map_params(
        name(), "draw", v, param_names(), shape, dtype,
        [&](int64_t, const double* p) { return detail::beta_draw(p[0], p[1], s); });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(name(), "central_point", v, param_names(), shape, dtype,
                              [](int64_t, const double* p) { return p[0] / (p[0] + p[1]); });
  }

  void check_params(const std::string& var) const override {
    detail::check_positive(name(), var, "alpha", params_[0]);
    detail::check_positive(name(), var, "beta", params_[1]);
  }
};

}  // namespace

std::shared_ptr<const Distribution> beta(Expr alpha, Expr beta) {
  return std::make_shared<const Beta>(alpha, beta);
}

}  // namespace elbo
