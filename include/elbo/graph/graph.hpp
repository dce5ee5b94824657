#pragma once
// A static expression graph: data inputs (replaceable, even with a new row count),
// parameter inputs (carrying the leading sample dimension S), constants and op nodes.
// Build it once from Expr handles; compile it into a Program to run it many times.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "elbo/graph/dtype.hpp"
#include "elbo/graph/shape.hpp"
#include "elbo/graph/tensor.hpp"

namespace elbo {

struct OpDef;  // one operation's shape rule, forward kernel and backward rule (src/graph/op.hpp)

/// Integer and real attributes of an op node (axis, slice bounds, reshape target, clip range).
struct Attrs {
  std::vector<int64_t> ints;
  std::vector<double> reals;
};

enum class NodeKind { constant, data, parameter, op };

/// One node. `shape` is the base shape, without the sample dimension; `sampled` says the
/// node depends on a parameter input and so carries S copies at run time.
struct Node {
  NodeKind kind = NodeKind::op;
  const OpDef* op = nullptr;
  std::vector<int> inputs;
  Attrs attrs;
  Shape shape;
  bool sampled = false;
  std::string name;
  std::shared_ptr<const Tensor> value;  // constants and data: current row-major value
};

struct GraphState;
class Graph;

/// A handle to one node of a graph. Cheap to copy. Build expressions with the free
/// functions in elbo/graph/ops.hpp and the arithmetic operators.
class Expr {
 public:
  Expr() = default;
  Expr(std::shared_ptr<GraphState> graph, int id) : graph_(std::move(graph)), id_(id) {}

  bool valid() const { return graph_ != nullptr; }
  int id() const { return id_; }
  /// Base shape (without the sample dimension) at the graph's current data sizes.
  const Shape& shape() const;
  int rank() const { return static_cast<int>(shape().size()); }
  DType dtype() const;
  /// True if the node depends on a parameter input.
  bool sampled() const;
  const Node& node() const;
  const std::shared_ptr<GraphState>& graph_state() const { return graph_; }

 private:
  std::shared_ptr<GraphState> graph_;
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
  const Node& node(int id) const;
  Expr expr(int id) const;
  /// The node named `name` among data and parameter inputs; throws InvalidArgument if none.
  Expr find(const std::string& name) const;
  /// Parameter inputs in creation order.
  std::vector<Expr> parameters() const;

  /// Adds an op node after checking arity, graph membership and shapes.
  Expr apply(const OpDef& op, std::span<const Expr> inputs, Attrs attrs = {});

  const std::shared_ptr<GraphState>& state() const { return state_; }
  explicit Graph(std::shared_ptr<GraphState> state) : state_(std::move(state)) {}

 private:
  std::shared_ptr<GraphState> state_;
};

/// Shapes of every node given data shapes (one per node; non-data entries ignored).
/// Throws ShapeError naming the op and shapes when they do not fit.
std::vector<Shape> infer_shapes(const GraphState& graph, std::span<const Shape> data_shapes);

struct GraphState {
  DType dtype = DType::f64;
  std::vector<Node> nodes;
  uint64_t data_version = 0;
};

}  // namespace elbo
