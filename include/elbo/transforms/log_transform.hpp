#pragma once
// The log transform for positive support: x = exp(y), log |dx/dy| = y.
#include <memory>

#include "elbo/export.hpp"
#include "elbo/transforms/transform.hpp"

ELBO_API_BEGIN
namespace elbo {

class LogTransform final : public Transform {
 public:
  std::string_view name() const override { return "log"; }
  Expr backward(Expr y) const override;
  Expr log_jacobian(Expr y) const override;
  /// log(x); -inf at 0, nan below.
  double forward(double x) const override;
  double backward(double y) const override;
};

/// The shared log transform.
std::shared_ptr<const Transform> log_transform();

}  // namespace elbo
ELBO_API_END
