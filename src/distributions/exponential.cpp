#include "elbo/distributions/exponential.hpp"

#include <cmath>

#include "distribution_impl.hpp"

namespace elbo {
namespace {

class Exponential final : public Distribution {
 public:
  explicit Exponential(Expr lam) : Distribution("Exponential", {"lam"}, {lam}) {}
  std::string_view name() const override { return "Exponential"; }
  std::vector<std::string> param_names() const override { return {"lam"}; }
  Support support() const override { return Support::positive; }

  Expr logp(Expr x) const override {
    const Expr& lam = params_[0];
    return detail::log_of(lam) - lam * x;
  }

  // -log(U) / lam, inversion of the CDF.
  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    std::vector<double> u(static_cast<size_t>(numel(shape)));
    rng.uniform(u.data(), numel(shape), stream, counter);
    return detail::map_params(name(), "draw", v, param_names(), shape, dtype,
                              [&](int64_t i, const double* p) { return -std::log(u[i]) / p[0]; });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(name(), "central_point", v, param_names(), shape, dtype,
                              [](int64_t, const double* p) { return 1.0 / p[0]; });
  }

  void check_params(const std::string& var) const override {
    detail::check_positive(name(), var, "lam", params_[0]);
  }
};

}  // namespace

std::shared_ptr<const Distribution> exponential(Expr lam) {
  return std::make_shared<const Exponential>(lam);
}

}  // namespace elbo
