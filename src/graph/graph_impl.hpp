#pragma once
// The inside of a Graph: its nodes. Private to the library (not installed): users hold
// Expr and Graph handles; the engine, and the layers that need a node's details, read
// them here.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "elbo/graph/graph.hpp"

namespace elbo {

struct OpDef;  // one operation's shape rule, forward kernel and backward rule (op.hpp)

namespace detail {

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

struct GraphState {
  DType dtype = DType::f64;
  std::vector<Node> nodes;
  uint64_t data_version = 0;
};

/// The node behind an expression; throws InvalidArgument for an empty one.
const Node& node_of(const Expr& e);

/// Adds an op node to the graph of `inputs` (at least one) after checking arity, graph
/// membership and shapes. The expression-building functions of ops.hpp call it.
Expr apply(const OpDef& op, std::span<const Expr> inputs, Attrs attrs = {});

}  // namespace detail

// The engine's own sources name these unqualified.
using detail::Attrs;
using detail::GraphState;
using detail::Node;
using detail::NodeKind;

}  // namespace elbo
