#include "elbo/transforms/logodds_transform.hpp"

#include <cmath>

#include "elbo/graph/ops.hpp"

namespace elbo {

Expr LogoddsTransform::backward(Expr y) const { return sigmoid(y); }
Expr LogoddsTransform::log_jacobian(Expr y) const { return log_sigmoid(y) + log_sigmoid(-y); }
double LogoddsTransform::forward(double x) const { return std::log(x) - std::log1p(-x); }
double LogoddsTransform::backward(double y) const {
  // Stable on both tails: exp of a non-positive number only.
  return y >= 0 ? 1.0 / (1.0 + std::exp(-y)) : std::exp(y) / (1.0 + std::exp(y));
}

std::shared_ptr<const Transform> logodds_transform() {
  static const auto t = std::make_shared<const LogoddsTransform>();
  return t;
}

}  // namespace elbo
