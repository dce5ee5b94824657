#pragma once
// A static expression graph: data inputs (replaceable, even with a new row count),
// parameter inputs (carrying the leading sample dimension S), constants and op nodes.
// Build it once from Expr handles; compile it into a Program to run it many times.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/dtype.hpp"
#include "elbo/graph/shape.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo {

namespace detail {
struct GraphState;  // the nodes of a graph (src/graph/graph_impl.hpp); users never see it
}  // namespace detail

class Graph;

/// A handle to one node of a graph. Cheap to copy. Build expressions with the free
/// functions in elbo/graph/ops.hpp and the arithmetic operators.
class Expr {
 public:
  Expr() = default;
  Expr(std::shared_ptr<detail::GraphState> graph, int id) : graph_(std::move(graph)), id_(id) {}

  bool valid() const { return graph_ != nullptr; }
  int id() const { return id_; }
  /// Base shape (without the sample dimension) at the graph's current data sizes.
  const Shape& shape() const;
  int rank() const { return static_cast<int>(shape().size()); }
  DType dtype() const;
  /// True if the node depends on a parameter input.
  bool sampled() const;
  /// What kind of node this is: a data input, a parameter input, a constant (else an op).
  bool is_data() const;
  bool is_parameter() const;
  bool is_constant() const;
  /// The current row-major value of a data input or a constant; null for other nodes.
  const Tensor* value() const;
  /// The name of a data or parameter input; empty for other nodes.
  const std::string& name() const;
  /// The graph this expression belongs to (an opaque handle: compare it to tell graphs apart).
  const std::shared_ptr<detail::GraphState>& graph_state() const { return graph_; }

 private:
  std::shared_ptr<detail::GraphState> graph_;
  int id_ = -1;
};

/// The graph itself. Copies of a Graph share one state.
class Graph {
 public:
  explicit Graph(DType dtype = DType::f64);

  DType dtype() const;
  /// A data input with a current value; replace it later with set_data. Names are unique.
  Expr data(const std::string& name, const Tensor& value);
  /// A parameter input of base shape `shape`. At run time it holds S rows of values.
  Expr parameter(const std::string& name, Shape shape);
  /// A constant (converted to the graph's dtype).
  Expr constant(const Tensor& value);
  Expr scalar(double value);

  /// Replaces a data input's value. The rank and every dimension but the first must stay
  /// (ShapeError otherwise). Inputs used together may change their row count one after the
  /// other: a node whose operands do not fit meanwhile keeps its last shape, and a program
  /// that needs it throws the op's ShapeError if it runs before they fit again.
  void set_data(Expr data_node, const Tensor& value);
  /// Incremented by every set_data; compiled programs reload data when it changes.
  uint64_t data_version() const;

  int size() const;
  Expr expr(int id) const;
  /// The node named `name` among data and parameter inputs; throws InvalidArgument if none.
  Expr find(const std::string& name) const;
  /// Parameter inputs in creation order.
  std::vector<Expr> parameters() const;

  /// The shared state (an opaque handle), and the graph of an expression's handle.
  const std::shared_ptr<detail::GraphState>& state() const { return state_; }
  explicit Graph(std::shared_ptr<detail::GraphState> state) : state_(std::move(state)) {}

 private:
  std::shared_ptr<detail::GraphState> state_;
};

}  // namespace elbo
ELBO_API_END
