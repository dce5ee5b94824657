#include "elbo/graph/graph.hpp"

#include <algorithm>

#include "op.hpp"

namespace elbo {

namespace {
const GraphState& state_of(const std::shared_ptr<GraphState>& g) {
  if (!g) throw InvalidArgument("Expr: use of an empty expression (default-constructed Expr)");
  return *g;
}

Tensor converted(const Tensor& t, DType d) { return t.dtype() == d ? t : t.to(d); }
}  // namespace

namespace detail {
const Node& node_of(const Expr& e) {
  return state_of(e.graph_state()).nodes.at(static_cast<size_t>(e.id()));
}
}  // namespace detail

const Shape& Expr::shape() const { return detail::node_of(*this).shape; }
DType Expr::dtype() const { return state_of(graph_).dtype; }
bool Expr::sampled() const { return detail::node_of(*this).sampled; }
bool Expr::is_data() const { return detail::node_of(*this).kind == NodeKind::data; }
bool Expr::is_parameter() const { return detail::node_of(*this).kind == NodeKind::parameter; }
bool Expr::is_constant() const { return detail::node_of(*this).kind == NodeKind::constant; }
const Tensor* Expr::value() const { return detail::node_of(*this).value.get(); }
const std::string& Expr::name() const { return detail::node_of(*this).name; }

Graph::Graph(DType dtype) : state_(std::make_shared<GraphState>()) { state_->dtype = dtype; }

DType Graph::dtype() const { return state_->dtype; }
int Graph::size() const { return static_cast<int>(state_->nodes.size()); }
Expr Graph::expr(int id) const {
  if (id < 0 || id >= size()) throw InvalidArgument("Graph::expr: no node " + std::to_string(id));
  return Expr(state_, id);
}
uint64_t Graph::data_version() const { return state_->data_version; }

Expr Graph::find(const std::string& name) const {
  for (size_t i = 0; i < state_->nodes.size(); ++i) {
    const Node& n = state_->nodes[i];
    if ((n.kind == NodeKind::data || n.kind == NodeKind::parameter) && n.name == name)
      return Expr(state_, static_cast<int>(i));
  }
  throw InvalidArgument("Graph: no data or parameter input named '" + name + "'");
}

std::vector<Expr> Graph::parameters() const {
  std::vector<Expr> r;
  for (size_t i = 0; i < state_->nodes.size(); ++i)
    if (state_->nodes[i].kind == NodeKind::parameter) r.emplace_back(state_, static_cast<int>(i));
  return r;
}

namespace {
void check_new_name(const GraphState& g, const std::string& what, const std::string& name) {
  if (name.empty()) throw InvalidArgument("Graph::" + what + ": the name is empty");
  for (const Node& n : g.nodes)
    if ((n.kind == NodeKind::data || n.kind == NodeKind::parameter) && n.name == name)
      throw InvalidArgument("Graph::" + what + ": the name '" + name + "' is already used by " +
                            (n.kind == NodeKind::data ? "a data input" : "a parameter"));
}

// Values inside a graph have rank 4 at most (the engine adds the sample dimension).
void check_value_rank(const std::string& where, const Shape& s) {
  if (s.size() > 4) throw ShapeError(where + ": rank of " + shape_str(s) + " exceeds 4");
}
}  // namespace

Expr Graph::data(const std::string& name, const Tensor& value) {
  check_new_name(*state_, "data", name);
  check_value_rank("Graph::data('" + name + "')", value.shape());
  Node n;
  n.kind = NodeKind::data;
  n.name = name;
  n.value = std::make_shared<const Tensor>(converted(value, state_->dtype));
  n.shape = value.shape();
  state_->nodes.push_back(std::move(n));
  return Expr(state_, size() - 1);
}

Expr Graph::parameter(const std::string& name, Shape shape) {
  check_new_name(*state_, "parameter", name);
  if (shape.size() > 4)
    throw ShapeError("Graph::parameter('" + name + "'): rank of " + shape_str(shape) + " exceeds 4");
  for (int64_t d : shape)
    if (d < 0)
      throw ShapeError("Graph::parameter('" + name + "'): negative dimension in " + shape_str(shape));
  Node n;
  n.kind = NodeKind::parameter;
  n.name = name;
  n.shape = std::move(shape);
  n.sampled = true;
  state_->nodes.push_back(std::move(n));
  return Expr(state_, size() - 1);
}

Expr Graph::constant(const Tensor& value) {
  check_value_rank("Graph::constant", value.shape());
  Node n;
  n.kind = NodeKind::constant;
  n.value = std::make_shared<const Tensor>(converted(value, state_->dtype));
  n.shape = value.shape();
  state_->nodes.push_back(std::move(n));
  return Expr(state_, size() - 1);
}

Expr Graph::scalar(double value) { return constant(Tensor::scalar(value, state_->dtype)); }

void Graph::set_data(Expr data_node, const Tensor& value) {
  if (!data_node.valid()) throw InvalidArgument("Graph::set_data: the data input is an empty expression");
  if (data_node.graph_state() != state_)
    throw InvalidArgument("Graph::set_data: the data input " + describe_node(detail::node_of(data_node), data_node.id(), false) +
                          " belongs to another graph");
  Node& n = state_->nodes.at(static_cast<size_t>(data_node.id()));
  if (n.kind != NodeKind::data)
    throw InvalidArgument("Graph::set_data: " + describe_node(n, data_node.id(), false) + " is not a data input");
  const Shape& old = n.value->shape();
  const Shape& s = value.shape();
  bool ok = s.size() == old.size();
  for (size_t a = 1; ok && a < s.size(); ++a) ok = s[a] == old[a];
  if (!ok)
    throw ShapeError("Graph::set_data('" + n.name + "'): new shape " + shape_str(s) +
                     " differs from " + shape_str(old) + " in more than the number of rows");
  n.value = std::make_shared<const Tensor>(converted(value, state_->dtype));
  n.shape = s;
  // Re-infer the op nodes' shapes at the new sizes. Inputs used together (x and y) are
  // replaced one after the other, so a node whose operands do not fit yet keeps its last
  // shape until they do; a program that needs it meanwhile throws the op's ShapeError
  // when it runs.
  std::vector<Shape> in;
  for (Node& m : state_->nodes) {
    if (m.kind != NodeKind::op) continue;
    in.clear();
    for (int j : m.inputs) in.push_back(state_->nodes[static_cast<size_t>(j)].shape);
    try {
      m.shape = m.op->infer(in, m.attrs);
    } catch (const ShapeError&) {
    }
  }
  ++state_->data_version;
}

namespace detail {
Expr apply(const OpDef& op, std::span<const Expr> inputs, Attrs attrs) {
  int k = static_cast<int>(inputs.size());
  if ((op.arity >= 0 && k != op.arity) || (op.arity < 0 && (k < 1 || k > kMaxInputs)))
    throw InvalidArgument(std::string(op.name) + ": got " + std::to_string(k) + " operands, " +
                          (op.arity >= 0 ? "expected " + std::to_string(op.arity)
                                         : "at most " + std::to_string(kMaxInputs)));
  std::vector<Shape> shapes;
  Node n;
  n.kind = NodeKind::op;
  n.op = &op;
  for (const Expr& e : inputs)
    if (!e.valid()) throw InvalidArgument(std::string(op.name) + ": an operand is an empty expression");
  const std::shared_ptr<GraphState>& state = inputs[0].graph_state();
  for (const Expr& e : inputs) {
    if (e.graph_state() != state)
      throw InvalidArgument(std::string(op.name) + ": an operand belongs to another graph");
    shapes.push_back(e.shape());
    n.inputs.push_back(e.id());
    n.sampled = n.sampled || e.sampled();
  }
  n.shape = op.infer(shapes, attrs);
  if (n.shape.size() > 4)
    throw_shape_error(op.name, shapes, "-> " + shape_str(n.shape) + " exceeds the maximum rank 4");
  n.attrs = std::move(attrs);
  state->nodes.push_back(std::move(n));
  return Expr(state, static_cast<int>(state->nodes.size()) - 1);
}
}  // namespace detail

// --- helpers shared by the ops' shape rules -------------------------------------------

void throw_shape_error(std::string_view op, std::span<const Shape> in, const std::string& why) {
  std::string msg(op);
  msg += ": shape";
  msg += in.size() == 1 ? " " : "s ";
  for (size_t i = 0; i < in.size(); ++i) {
    if (i) msg += i + 1 == in.size() ? " and " : ", ";
    msg += shape_str(in[i]);
  }
  msg += " " + why;
  throw ShapeError(msg);
}

int normalize_axis(std::string_view op, int64_t axis, int rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) +
                     " is out of range for rank " + std::to_string(rank));
  return static_cast<int>(a);
}

int normalize_axis(std::string_view op, int64_t axis, const Shape& shape) {
  int rank = static_cast<int>(shape.size());
  if (axis < -rank || axis >= rank)
    throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for shape " +
                     shape_str(shape));
  return normalize_axis(op, axis, rank);
}

Shape broadcast_shapes(std::string_view op, std::span<const Shape> in) {
  size_t r = 0;
  for (const Shape& s : in) r = std::max(r, s.size());
  Shape out(r, 1);
  for (size_t a = 0; a < r; ++a) {
    for (const Shape& s : in) {
      if (a + s.size() < r) continue;
      int64_t d = s[a + s.size() - r];
      int64_t& o = out[a];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      throw_shape_error(op, in, "do not broadcast (" + std::to_string(o) + " vs " +
                                    std::to_string(d) + " at axis " + std::to_string(a) + ")");
    }
  }
  return out;
}

}  // namespace elbo
