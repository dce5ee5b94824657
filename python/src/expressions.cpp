// Expr in Python: NumPy-like operators (+ - * / ** @, unary -, indexing with ints and
// unit-step slices, .T, .sum(), .mean(), .reshape()) and the math functions of elbo.math.
// NumPy arrays and numbers mixed into an expression become constants of its graph.
#include "expressions.hpp"

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <elbo/graph/error.hpp>
#include <elbo/graph/ops.hpp>

#include "arrays.hpp"
#include "bindings.hpp"

namespace elbo::python {

Expr as_operand(const Expr& like, nb::handle value, const std::string& what) {
  return as_operand(Graph(like.graph_state()), value, what);
}

Expr as_operand(Graph graph, nb::handle value, const std::string& what) {
  if (nb::isinstance<Expr>(value)) return nb::cast<Expr>(value);
  if (nb::isinstance<nb::float_>(value) || nb::isinstance<nb::int_>(value))
    return graph.scalar(nb::cast<double>(value));
  return graph.constant(to_tensor(value, what, graph.dtype()));
}

namespace {

nb::tuple shape_tuple(const Shape& shape) {
  nb::list dims;
  for (int64_t d : shape) dims.append(d);
  return nb::tuple(dims);
}

// The first expression among a and b decides the graph; ValueError when there is none.
Expr graph_of(nb::handle a, nb::handle b, const char* op) {
  if (nb::isinstance<Expr>(a)) return nb::cast<Expr>(a);
  if (nb::isinstance<Expr>(b)) return nb::cast<Expr>(b);
  throw nb::type_error((std::string(op) + ": at least one operand must be a model expression").c_str());
}

using Binary = Expr (*)(Expr, Expr);

Expr apply_binary(Binary f, nb::handle a, nb::handle b, const char* op) {
  Expr like = graph_of(a, b, op);
  return f(as_operand(like, a, std::string(op) + ": first operand"),
           as_operand(like, b, std::string(op) + ": second operand"));
}

Expr power(Expr a, Expr b) { return elbo::pow(a, b); }

// x[index]: ints drop their axis, slices (step 1) keep it.
Expr index_expr(const Expr& x, nb::handle index) {
  nb::list items;
  if (nb::isinstance<nb::tuple>(index))
    for (nb::handle h : index) items.append(h);
  else
    items.append(index);
  if (nb::len(items) > x.shape().size())
    throw nb::index_error(("too many indices for an expression of rank " + std::to_string(x.rank())).c_str());
  Expr out = x;
  Shape kept;
  int axis = 0;
  for (nb::handle item : items) {
    const int64_t dim = x.shape()[static_cast<size_t>(axis)];
    if (nb::isinstance<nb::slice>(item)) {
      auto [start, stop, step, length] = nb::cast<nb::slice>(item).compute(static_cast<size_t>(dim));
      if (step != 1) throw nb::index_error("expression slices take step 1 only");
      out = slice(out, axis, static_cast<int64_t>(start), static_cast<int64_t>(start + length));
      kept.push_back(static_cast<int64_t>(length));
    } else if (nb::hasattr(item, "__index__")) {
      int64_t i = nb::cast<int64_t>(item.attr("__index__")());
      if (i < -dim || i >= dim)
        throw nb::index_error(("index " + std::to_string(i) + " is out of bounds for axis " + std::to_string(axis) +
                               " with size " + std::to_string(dim))
                                  .c_str());
      if (i < 0) i += dim;
      out = slice(out, axis, i, i + 1);
    } else {
      throw nb::index_error("expressions are indexed by ints and slices");
    }
    ++axis;
  }
  for (size_t a = static_cast<size_t>(axis); a < x.shape().size(); ++a) kept.push_back(x.shape()[a]);
  return kept == out.shape() ? out : reshape(out, kept);
}

using Unary = Expr (*)(Expr);

void def_unary(nb::module_& m, const char* name, Unary f, const char* doc) {
  m.def(name, [f](const Expr& x) { return f(x); }, nb::arg("x"), doc);
}

}  // namespace

void bind_expressions(nb::module_& m) {
  nb::class_<Expr> expr(m, "Expr", nb::dynamic_attr(),
                        "A node of a model's graph: a random variable, data container, constant or an "
                        "operation on them. Build expressions with operators and elbo.math.");
  expr.def_prop_ro("shape", [](const Expr& e) { return shape_tuple(e.shape()); },
                   "The shape of one draw (without the sample dimension).")
      .def_prop_ro("ndim", &Expr::rank)
      .def_prop_ro("id", &Expr::id, "The node's index in its graph.")
      .def_prop_ro("dtype", [](const Expr& e) { return std::string(dtype_name(e.dtype())); })
      .def_prop_ro("node_name", [](const Expr& e) { return e.name(); }, "The name of a data or parameter input.")
      .def_prop_ro("T", [](const Expr& e) { return transpose(e); })
      .def("__repr__",
           [](const Expr& e) {
             std::string s = "<elbo.Expr";
             if (!e.name().empty()) s += " '" + e.name() + "'";
             s += " shape=(";
             for (size_t i = 0; i < e.shape().size(); ++i) s += (i ? ", " : "") + std::to_string(e.shape()[i]);
             if (e.shape().size() == 1) s += ",";
             return s + ")>";
           })
      .def("__add__", [](nb::handle a, nb::handle b) { return apply_binary(&add, a, b, "+"); })
      .def("__radd__", [](nb::handle a, nb::handle b) { return apply_binary(&add, b, a, "+"); })
      .def("__sub__", [](nb::handle a, nb::handle b) { return apply_binary(&sub, a, b, "-"); })
      .def("__rsub__", [](nb::handle a, nb::handle b) { return apply_binary(&sub, b, a, "-"); })
      .def("__mul__", [](nb::handle a, nb::handle b) { return apply_binary(&mul, a, b, "*"); })
      .def("__rmul__", [](nb::handle a, nb::handle b) { return apply_binary(&mul, b, a, "*"); })
      .def("__truediv__", [](nb::handle a, nb::handle b) { return apply_binary(&div, a, b, "/"); })
      .def("__rtruediv__", [](nb::handle a, nb::handle b) { return apply_binary(&div, b, a, "/"); })
      .def("__pow__", [](nb::handle a, nb::handle b) { return apply_binary(&power, a, b, "**"); })
      .def("__rpow__", [](nb::handle a, nb::handle b) { return apply_binary(&power, b, a, "**"); })
      .def("__matmul__", [](nb::handle a, nb::handle b) { return apply_binary(&matmul, a, b, "@"); })
      .def("__rmatmul__", [](nb::handle a, nb::handle b) { return apply_binary(&matmul, b, a, "@"); })
      .def("__neg__", [](const Expr& x) { return neg(x); })
      .def("__pos__", [](const Expr& x) { return x; })
      .def("__abs__", [](const Expr& x) { return elbo::abs(x); })
      .def("__getitem__", &index_expr)
      .def("__len__",
           [](const Expr& e) {
             if (e.shape().empty()) throw nb::type_error("len() of a scalar expression");
             return e.shape()[0];
           })
      .def("dot", [](nb::handle a, nb::handle b) { return apply_binary(&matmul, a, b, "dot"); })
      .def(
          "sum",
          [](const Expr& x, std::optional<int> axis, bool keepdims) {
            return axis ? sum(x, *axis, keepdims) : sum(x);
          },
          nb::arg("axis") = nb::none(), nb::arg("keepdims") = false)
      .def(
          "mean",
          [](const Expr& x, std::optional<int> axis, bool keepdims) {
            return axis ? mean(x, *axis, keepdims) : mean(x);
          },
          nb::arg("axis") = nb::none(), nb::arg("keepdims") = false)
      .def("reshape",
           [](const Expr& x, nb::args shape) {
             if (nb::len(shape) == 1 && !nb::isinstance<nb::int_>(shape[0]))
               return reshape(x, to_shape(shape[0], "reshape"));
             return reshape(x, to_shape(shape, "reshape"));
           })
      .def("transpose", [](const Expr& x) { return transpose(x); });
  // NumPy's operators defer to Expr's reflected ones (array @ w is w.__rmatmul__(array)).
  expr.attr("__array_ufunc__") = nb::none();

  def_unary(m, "exp", &elbo::exp, "exp(x), elementwise.");
  def_unary(m, "log", &elbo::log, "log(x), elementwise.");
  def_unary(m, "log1p", &elbo::log1p, "log(1 + x), elementwise.");
  def_unary(m, "expm1", &elbo::expm1, "exp(x) - 1, elementwise.");
  def_unary(m, "sqrt", &elbo::sqrt, "sqrt(x), elementwise.");
  def_unary(m, "abs", &elbo::abs, "|x|, elementwise.");
  def_unary(m, "sqr", &elbo::square, "x ** 2, elementwise.");
  def_unary(m, "tanh", &elbo::tanh, "tanh(x), elementwise.");
  def_unary(m, "sigmoid", &elbo::sigmoid, "1 / (1 + exp(-x)), elementwise.");
  def_unary(m, "log_sigmoid", &elbo::log_sigmoid, "log(sigmoid(x)), computed stably.");
  def_unary(m, "softplus", &elbo::softplus, "log(1 + exp(x)), computed stably.");
  def_unary(m, "relu", &elbo::relu, "max(x, 0), elementwise.");
  def_unary(m, "cholesky", &elbo::cholesky, "The lower Cholesky factor of a symmetric positive-definite matrix.");
  m.def("dot", [](nb::handle a, nb::handle b) { return apply_binary(&matmul, a, b, "dot"); }, nb::arg("a"),
        nb::arg("b"), "NumPy's matmul: vector, matrix and batched products.");
  m.def("where",
        [](nb::handle cond, nb::handle a, nb::handle b) {
          Expr like = nb::isinstance<Expr>(cond) ? nb::cast<Expr>(cond) : graph_of(a, b, "where");
          return where(as_operand(like, cond, "where: cond"), as_operand(like, a, "where: a"),
                       as_operand(like, b, "where: b"));
        },
        nb::arg("cond"), nb::arg("a"), nb::arg("b"), "cond != 0 ? a : b, elementwise.");
  m.def("clip", [](const Expr& x, double lo, double hi) { return clip(x, lo, hi); }, nb::arg("x"), nb::arg("lo"),
        nb::arg("hi"));
  m.def("logsumexp",
        [](const Expr& x, std::optional<int> axis, bool keepdims) {
          return axis ? logsumexp(x, *axis, keepdims) : logsumexp(x);
        },
        nb::arg("x"), nb::arg("axis") = nb::none(), nb::arg("keepdims") = false);
  m.def("concatenate", [](const std::vector<Expr>& xs, int axis) { return concat(xs, axis); }, nb::arg("xs"),
        nb::arg("axis") = 0);
  m.def("grad_scale", [](const Expr& x, nb::handle factor) { return scale_gradient(x, as_operand(x, factor, "factor")); },
        nb::arg("x"), nb::arg("factor"), "x, with the gradient reaching it multiplied by factor.");
}

}  // namespace elbo::python
