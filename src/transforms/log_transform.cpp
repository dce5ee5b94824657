#include "elbo/transforms/log_transform.hpp"

#include <cmath>

#include "elbo/graph/ops.hpp"

namespace elbo {

Expr LogTransform::backward(Expr y) const { return exp(y); }
Expr LogTransform::log_jacobian(Expr y) const { return y; }
double LogTransform::forward(double x) const { return std::log(x); }
double LogTransform::backward(double y) const { return std::exp(y); }

std::shared_ptr<const Transform> log_transform() {
  static const auto t = std::make_shared<const LogTransform>();
  return t;
}

}  // namespace elbo
