#include "elbo/distributions/binomial.hpp"

#include <cmath>
#include <optional>

#include "distribution_impl.hpp"
#include "sampling_impl.hpp"

namespace elbo {
namespace {

class Binomial final : public Distribution {
 public:
  Binomial(Expr n, Expr p) : Distribution("Binomial", {"n", "p"}, {n, p}) {}
  std::string_view name() const override { return "Binomial"; }
  std::vector<std::string> param_names() const override { return {"n", "p"}; }
  Support support() const override { return Support::nonnegative_integer; }

  Expr logp(Expr k) const override {
    const Expr &n = params_[0], &p = params_[1];
    Expr nmk = detail::fold(
        n, k, [](double a, double b) { return a - b; },
        [](const Expr& a, const Expr& b) { return a - b; });
    // log C(n, k); each term is folded to a constant when its operands are constants.
    auto lgamma_plus1 = [](const Expr& e) {
      return detail::fold(
          e, [](double v) { return std::lgamma(v + 1); },
          [](const Expr& u) { return detail::lgamma_of(u + 1.0); });
    };
    Expr log_choose = lgamma_plus1(n) - lgamma_plus1(k) - lgamma_plus1(nmk);
    // k log p and (n - k) log(1 - p), taken as 0 where the count is 0 (so p = 0 or 1 works).
    Expr zero = detail::scalar_like(k, 0.0);
    return log_choose + where(k, k * detail::log_of(p), zero) + where(nmk, nmk * log1p(-p), zero);
  }

  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    detail::UniformStream s(rng, stream, counter, 4 * numel(shape));
    return detail::map_params(
        name(), "draw", v, param_names(), shape, dtype,
        [&](int64_t, const double* p) { return detail::binomial_draw(p[0], p[1], s); });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(name(), "central_point", v, param_names(), shape, dtype,
                              [](int64_t, const double* p) { return std::floor(p[0] * p[1]); });
  }

  void check_params(const std::string& var) const override {
    detail::check_param(
        name(), var, "n", params_[0],
        [](double x) { return x >= 0 && std::isfinite(x) && x == std::floor(x); },
        "a non-negative integer");
    detail::check_probability(name(), var, "p", params_[1]);
  }

  void check_observed(const std::string& var, const Tensor& data) const override {
    Distribution::check_observed(var, data);
    const Tensor* n = detail::constant_value(params_[0]);
    if (!n) return;
    std::optional<detail::BroadcastIndex> maybe;
    try {
      maybe.emplace("Binomial", "n", n->shape(), data.shape());
    } catch (const ShapeError&) {
      return;  // shapes that do not fit are the model's to report
    }
    const detail::BroadcastIndex& at = *maybe;
    for (int64_t i = 0; i < data.numel(); ++i)
      if (data[i] > (*n)[at(i)])
        detail::throw_observed(name(), var, data, i,
                               "exceeds n = " + detail::format_number((*n)[at(i)], n->dtype()));
  }
};

}  // namespace

std::shared_ptr<const Distribution> binomial(Expr n, Expr p) {
  return std::make_shared<const Binomial>(n, p);
}

}  // namespace elbo
