#include "elbo/distributions/uniform.hpp"

#include <cmath>

#include "distribution_impl.hpp"

namespace elbo {
namespace {

double bound_value(const Expr& e, const char* arg) {
  if (!e.valid())
    throw InvalidArgument(std::string("Uniform: argument '") + arg + "' is an empty expression");
  const Tensor* t = detail::constant_value(e);
  if (!t || t->numel() != 1)
    throw InvalidArgument(std::string("Uniform: argument '") + arg +
                          "' must be a constant with one value");
  return (*t)[0];
}

class Uniform final : public Distribution {
 public:
  Uniform(Expr lower, Expr upper)
      : Distribution("Uniform", {"lower", "upper"}, {lower, upper}),
        lower_(bound_value(lower, "lower")),
        upper_(bound_value(upper, "upper")) {}
  std::string_view name() const override { return "Uniform"; }
  std::vector<std::string> param_names() const override { return {"lower", "upper"}; }
  Support support() const override { return Support::interval; }
  double lower() const override { return lower_; }
  double upper() const override { return upper_; }

  // -log(b - a) inside [a, b], -inf outside; relu(a - x) + relu(x - b) is non-zero
  // exactly outside (the engine has no comparison op).
  Expr logp(Expr x) const override {
    Expr outside = relu(lower_ - x) + relu(x - upper_);
    return where(outside, detail::scalar_like(x, -detail::kInf),
                 detail::scalar_like(x, -std::log(upper_ - lower_)));
  }

  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    std::vector<double> u(static_cast<size_t>(numel(shape)));
    rng.uniform(u.data(), numel(shape), stream, counter);
    return detail::map_params(
        name(), "draw", v, param_names(), shape, dtype,
        [&](int64_t i, const double* p) { return p[0] + (p[1] - p[0]) * u[i]; });
  }

  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return detail::map_params(name(), "central_point", v, param_names(), shape, dtype,
                              [](int64_t, const double* p) { return 0.5 * (p[0] + p[1]); });
  }

  void check_params(const std::string& var) const override {
    detail::check_finite(name(), var, "lower", params_[0]);
    detail::check_finite(name(), var, "upper", params_[1]);
    if (!(upper_ > lower_))
      throw InvalidArgument("Uniform('" + var + "'): argument 'upper' is " +
                            detail::format_number(upper_, params_[1].dtype()) +
                            ", but must be greater than lower (" +
                            detail::format_number(lower_, params_[0].dtype()) + ")");
  }

 private:
  double lower_, upper_;
};

}  // namespace

std::shared_ptr<const Distribution> uniform(Expr lower, Expr upper) {
  return std::make_shared<const Uniform>(lower, upper);
}

}  // namespace elbo
