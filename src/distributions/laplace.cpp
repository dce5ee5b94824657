#include "elbo/distributions/laplace.hpp"

#include <cmath>

#include "distribution_impl.hpp"

namespace elbo {
namespace {

class Laplace final : public Distribution {
 public:
  Laplace(Expr mu, Expr b) : Distribution("Laplace", {"mu", "b"}, {mu, b}) {}
  std::string_view name() const override { return "Laplace"; }
  std::vector<std::string> param_names() const override { return {"mu", "b"}; }
  Support support() const override { return Support::real; }

  Expr logp(Expr x) const override {
    const Expr &mu = params_[0], &b = params_[1];
    return -abs(x - mu) / b - (detail::log_of(b) + std::log(2.0));
  }

  // mu - b sign(U - 1/2) log(1 - 2 |U - 1/2|), inversion of the CDF.
  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    std::vector<double> u(static_cast<size_t>(numel(shape)));
    rng.uniform(u.data(), numel(shape), stream, counter);
    return detail::map_params(
        name(), "draw", v, param_names(), shape, dtype, [&](int64_t i, const double* p) {
          double c = u[i] - 0.5;
          return p[0] - p[1] * (c < 0 ? -1.0 : 1.0) * std::log1p(-2.0 * std::abs(c));
        });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(name(), "central_point", v, param_names(), shape, dtype,
                              [](int64_t, const double* p) { return p[0]; });
  }

  void check_params(const std::string& var) const override {
    detail::check_finite(name(), var, "mu", params_[0]);
    detail::check_positive(name(), var, "b", params_[1]);
  }
};

}  // namespace

std::shared_ptr<const Distribution> laplace(Expr mu, Expr b) {
  return std::make_shared<const Laplace>(mu, b);
}

}  // namespace elbo
