#include "elbo/distributions/student_t.hpp"

#include <cmath>

#include "distribution_impl.hpp"
#include "sampling_impl.hpp"

namespace elbo {
namespace {

class StudentT final : public Distribution {
 public:
  StudentT(Expr nu, Expr mu, Expr sigma)
      : Distribution("StudentT", {"nu", "mu", "sigma"}, {nu, mu, sigma}) {}
  std::string_view name() const override { return "StudentT"; }
  std::vector<std::string> param_names() const override { return {"nu", "mu", "sigma"}; }
  Support support() const override { return Support::real; }

  Expr logp(Expr x) const override {
    const Expr &nu = params_[0], &mu = params_[1], &sigma = params_[2];
    // lgamma((nu + 1) / 2) - lgamma(nu / 2) - log(nu pi) / 2, one constant for a fixed nu.
    Expr norm_nu = detail::fold(
        nu,
        [](double n) {
          return std::lgamma(0.5 * (n + 1)) - std::lgamma(0.5 * n) - 0.5 * std::log(n);
        },
        [](const Expr& n) {
          return detail::lgamma_of((n + 1.0) * 0.5) - detail::lgamma_of(n * 0.5) - 0.5 * log(n);
        });
    Expr norm = norm_nu - (detail::log_of(sigma) + 0.5 * detail::kLogPi);
    Expr half_nu1 = detail::fold(
        nu, [](double n) { return 0.5 * (n + 1); }, [](const Expr& n) { return (n + 1.0) * 0.5; });
    return norm - half_nu1 * log1p(square((x - mu) / sigma) / nu);
  }

  // mu + sigma Z / sqrt(G / nu) with G ~ chi^2(nu) = 2 Gamma(nu / 2).
  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    detail::UniformStream s(rng, stream, counter, 4 * numel(shape));
    return detail::map_params(name(), "draw", v, param_names(), shape, dtype,
                              [&](int64_t, const double* p) {
                                double z = s.normal();
                                double g = 2.0 * std::exp(detail::log_gamma_draw(0.5 * p[0], s));
                                return p[1] + p[2] * z / std::sqrt(g / p[0]);
                              });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(name(), "central_point", v, param_names(), shape, dtype,
                              [](int64_t, const double* p) { return p[1]; });
  }

  void check_params(const std::string& var) const override {
    detail::check_positive(name(), var, "nu", params_[0]);
    detail::check_finite(name(), var, "mu", params_[1]);
    detail::check_positive(name(), var, "sigma", params_[2]);
  }
};

}  // namespace

std::shared_ptr<const Distribution> student_t(Expr nu, Expr mu, Expr sigma) {
  return std::make_shared<const StudentT>(nu, mu, sigma);
}

}  // namespace elbo
