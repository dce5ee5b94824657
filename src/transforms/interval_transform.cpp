#include "elbo/transforms/interval_transform.hpp"

#include <charconv>
#include <cmath>

#include "elbo/graph/error.hpp"
#include "elbo/graph/ops.hpp"

namespace elbo {

namespace {
std::string num(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}
}  // namespace

IntervalTransform::IntervalTransform(double a, double b) : a_(a), b_(b) {
  if (!std::isfinite(a) || !std::isfinite(b) || !(a < b))
    throw InvalidArgument("interval_transform: bounds (" + num(a) + ", " + num(b) +
                          ") must be finite with lower < upper");
}

Expr IntervalTransform::backward(Expr y) const { return a_ + (b_ - a_) * sigmoid(y); }

Expr IntervalTransform::log_jacobian(Expr y) const {
  return (log_sigmoid(y) + log_sigmoid(-y)) + std::log(b_ - a_);
}

double IntervalTransform::forward(double x) const { return std::log(x - a_) - std::log(b_ - x); }

double IntervalTransform::backward(double y) const {
  double s = y >= 0 ? 1.0 / (1.0 + std::exp(-y)) : std::exp(y) / (1.0 + std::exp(y));
  return a_ + (b_ - a_) * s;
}

std::shared_ptr<const Transform> interval_transform(double a, double b) {
  return std::make_shared<const IntervalTransform>(a, b);
}

}  // namespace elbo
