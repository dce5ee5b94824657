#pragma once
// A distribution parameter as the user writes it: a number, a tensor, or an expression
// of other random variables (hierarchical models).
#include <variant>

#include "elbo/export.hpp"
#include "elbo/graph/graph.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo {

class Param {
 public:
  Param(double v) : v_(v) {}
  Param(int v) : v_(static_cast<double>(v)) {}
  Param(const Tensor& t) : v_(t) {}
  Param(Expr e) : v_(std::move(e)) {}

  const std::variant<double, Tensor, Expr>& value() const { return v_; }

 private:
  std::variant<double, Tensor, Expr> v_;
};

}  // namespace elbo
ELBO_API_END
