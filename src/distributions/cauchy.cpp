#include "elbo/distributions/cauchy.hpp"

#include <cmath>
#include <numbers>

#include "distribution_impl.hpp"

namespace elbo {
namespace {

class Cauchy final : public Distribution {
 public:
  Cauchy(Expr alpha, Expr beta) : Distribution("Cauchy", {"alpha", "beta"}, {alpha, beta}) {}
  std::string_view name() const override { return "Cauchy"; }
  std::vector<std::string> param_names() const override { return {"alpha", "beta"}; }
  Support support() const override { return Support::real; }

  Expr logp(Expr x) const override {
    const Expr &alpha = params_[0], &beta = params_[1];
    return -log1p(square((x - alpha) / beta)) - (detail::log_of(beta) + detail::kLogPi);
  }

  // alpha + beta tan(pi (U - 1/2)), inversion of the CDF.
  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    std::vector<double> u(static_cast<size_t>(numel(shape)));
    rng.uniform(u.data(), numel(shape), stream, counter);
    return detail::map_params(name(), "draw", v, param_names(), shape, dtype,
                              [&](int64_t i, const double* p) {
                                return p[0] + p[1] * std::tan(std::numbers::pi * (u[i] - 0.5));
                              });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(name(), "central_point", v, param_names(), shape, dtype,
                              [](int64_t, const double* p) { return p[0]; });
  }

  void check_params(const std::string& var) const override {
    detail::check_finite(name(), var, "alpha", params_[0]);
    detail::check_positive(name(), var, "beta", params_[1]);
  }
};

}  // namespace

std::shared_ptr<const Distribution> cauchy(Expr alpha, Expr beta) {
  return std::make_shared<const Cauchy>(alpha, beta);
}

}  // namespace elbo
