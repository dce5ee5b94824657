#pragma once
// The interval transform for (a, b): x = a + (b - a) sigmoid(y),
// log |dx/dy| = log(b - a) + log sigmoid(y) + log sigmoid(-y).
#include <memory>

#include "elbo/export.hpp"
#include "elbo/transforms/transform.hpp"

ELBO_API_BEGIN
namespace elbo {

class IntervalTransform final : public Transform {
 public:
  /// Throws InvalidArgument unless a and b are finite and a < b.
  IntervalTransform(double a, double b);

  std::string_view name() const override { return "interval"; }
  Expr backward(Expr y) const override;
  Expr log_jacobian(Expr y) const override;
  /// log((x - a) / (b - x)).
  double forward(double x) const override;
  double backward(double y) const override;

  double lower() const { return a_; }
  double upper() const { return b_; }

 private:
  double a_, b_;
};

/// An interval transform for (a, b). Throws InvalidArgument unless a and b are finite and
/// a < b: "interval_transform: bounds (1, 0) must be finite with lower < upper".
std::shared_ptr<const Transform> interval_transform(double a, double b);

}  // namespace elbo
ELBO_API_END
