#pragma once
// Python values as operands of graph expressions.
#include <string>

#include <nanobind/nanobind.h>

#include <elbo/graph/graph.hpp>

namespace elbo::python {

namespace nb = nanobind;

/// `value` as an expression of `like`'s graph: an Expr as it is, a number as a scalar
/// constant, an array (or nested sequence) as a constant tensor. ValueError naming `what`
/// for anything else.
Expr as_operand(const Expr& like, nb::handle value, const std::string& what);
/// The same in `graph`.
Expr as_operand(Graph graph, nb::handle value, const std::string& what);

}  // namespace elbo::python
