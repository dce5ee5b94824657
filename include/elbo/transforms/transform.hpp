#pragma once
// A bijection from unconstrained space to a constrained support, as PyMC uses it: a free
// variable with constrained support is sampled as an unconstrained value y and reported
// as x = backward(y); log p gains the log-Jacobian log |dx/dy|.
#include <string>
#include <string_view>

#include "elbo/export.hpp"
#include "elbo/graph/graph.hpp"

ELBO_API_BEGIN
namespace elbo {

class Transform {
 public:
  virtual ~Transform() = default;

  /// PyMC's name of the transform: "log", "logodds", "interval".
  virtual std::string_view name() const = 0;
  /// x = backward(y), elementwise, as a graph expression (unconstrained -> constrained).
  virtual Expr backward(Expr y) const = 0;
  /// log |dx/dy| at y, elementwise, as a graph expression.
  virtual Expr log_jacobian(Expr y) const = 0;
  /// y = forward(x), numerically (constrained -> unconstrained), for initial points.
  virtual double forward(double x) const = 0;
  /// x = backward(y), numerically.
  virtual double backward(double y) const = 0;
};

/// PyMC's name of the unconstrained value variable: "<var>_<transform>__", e.g. "sd_log__".
std::string transformed_name(const std::string& var, const Transform& transform);

}  // namespace elbo
ELBO_API_END
