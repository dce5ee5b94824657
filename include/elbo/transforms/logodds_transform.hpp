#pragma once
// The log-odds transform for the unit interval: x = sigmoid(y),
// log |dx/dy| = log sigmoid(y) + log sigmoid(-y) (computed stably).
#include <memory>

#include "elbo/export.hpp"
#include "elbo/transforms/transform.hpp"

ELBO_API_BEGIN
namespace elbo {

class LogoddsTransform final : public Transform {
 public:
  std::string_view name() const override { return "logodds"; }
  Expr backward(Expr y) const override;
  Expr log_jacobian(Expr y) const override;
  /// log(x / (1 - x)).
  double forward(double x) const override;
  double backward(double y) const override;
};

/// The shared log-odds transform.
std::shared_ptr<const Transform> logodds_transform();

}  // namespace elbo
ELBO_API_END
