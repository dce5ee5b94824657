// Elementwise unary functions. Each entry is a value rule and its derivative rule,
// written as vectorised Eigen array expressions of x (input) and y (output).
#include <Eigen/Core>

#include <algorithm>

#include "../packets.hpp"
#include "unary_rules.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

using namespace unary_rules;

template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class Rule>
struct Unary {
  static constexpr std::string_view name = Rule::name;
  static constexpr int arity = 1;
  static constexpr bool backward_assigns = true;
  static Shape infer(std::span<const Shape> in, const Attrs&) { return in[0]; }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    constexpr int P = kPacket<T>;
    const int64_t n = numel(*k.out_shape), cols = n / P, body = cols * P;
    if (cols) {
      Eigen::Map<const Packets<T>> x(k.in[0], P, cols);
      Eigen::Map<Packets<T>> y(k.out, P, cols);
      y = Rule::f(x);
    }
    if (body < n) {
      Tail<T> x(k.in[0], n), y(k.out, n);
      y.map() = Rule::f(x.map());
      std::copy(y.v, y.v + (n - body), k.out + body);
    }
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    if (!k.gin[0]) return;
    constexpr int P = kPacket<T>;
    const int64_t n = numel(*k.out_shape), cols = n / P, body = cols * P;
    const bool fresh = k.gin_fresh & 1u;
    if (cols) {
      Eigen::Map<const Packets<T>> x(k.in[0], P, cols), y(k.out, P, cols), g(k.gout, P, cols);
      Eigen::Map<Packets<T>> gx(k.gin[0], P, cols);
      if (fresh)
        gx = g * Rule::d(x, y);
      else
        gx += g * Rule::d(x, y);
    }
    if (body < n) {
      Tail<T> x(k.in[0], n), y(k.out, n), g(k.gout, n);
      alignas(64) T d[kPacket<T>];
      Eigen::Map<Packets<T>>(d, P, 1) = g.map() * Rule::d(x.map(), y.map());  // the same expression as above
      for (int64_t i = 0; i < n - body; ++i) k.gin[0][body + i] = fresh ? d[i] : k.gin[0][body + i] + d[i];
    }
  }
};


// clip has attributes, so it is written out.
struct Clip {
  static constexpr std::string_view name = "clip";
  static constexpr int arity = 1;
  static Shape infer(std::span<const Shape> in, const Attrs&) { return in[0]; }
  template <class T>
  static void forward(const KernelArgs<T>& k) {
    int64_t n = numel(*k.out_shape);
    T lo = static_cast<T>(k.attrs->reals[0]), hi = static_cast<T>(k.attrs->reals[1]);
    ArrayMap<T>(k.out, n) = ConstArrayMap<T>(k.in[0], n).max(lo).min(hi);
  }
  template <class T>
  static void backward(const KernelArgs<T>& k) {
    if (!k.gin[0]) return;
    int64_t n = numel(*k.out_shape);
    T lo = static_cast<T>(k.attrs->reals[0]), hi = static_cast<T>(k.attrs->reals[1]);
    ConstArrayMap<T> x(k.in[0], n), g(k.gout, n);
    ArrayMap<T>(k.gin[0], n) += ((x > lo) && (x < hi)).select(g, T(0));
  }
};

Expr apply1(const OpDef& op, Expr x, Attrs attrs = {}) {
  if (!x.valid()) throw InvalidArgument(std::string(op.name) + ": the operand is an empty expression");
  Expr in[1] = {x};
  return detail::apply(op, in, std::move(attrs));
}

}  // namespace

namespace ops {
const OpDef neg_op = make_op<Unary<neg_rule>>();
const OpDef square_op = make_op<Unary<square_rule>>();
const OpDef exp_op = make_op<Unary<exp_rule>>();
const OpDef log_op = make_op<Unary<log_rule>>();
const OpDef log1p_op = make_op<Unary<log1p_rule>>();
const OpDef expm1_op = make_op<Unary<expm1_rule>>();
const OpDef sqrt_op = make_op<Unary<sqrt_rule>>();
const OpDef abs_op = make_op<Unary<abs_rule>>();
const OpDef tanh_op = make_op<Unary<tanh_rule>>();
const OpDef sigmoid_op = make_op<Unary<sigmoid_rule>>();
const OpDef log_sigmoid_op = make_op<Unary<log_sigmoid_rule>>();
const OpDef softplus_op = make_op<Unary<softplus_rule>>();
const OpDef relu_op = make_op<Unary<relu_rule>>();
const OpDef clip_op = make_op<Clip>();
}  // namespace ops

Expr neg(Expr x) { return apply1(ops::neg_op, x); }
Expr square(Expr x) { return apply1(ops::square_op, x); }
Expr exp(Expr x) { return apply1(ops::exp_op, x); }
Expr log(Expr x) { return apply1(ops::log_op, x); }
Expr log1p(Expr x) { return apply1(ops::log1p_op, x); }
Expr expm1(Expr x) { return apply1(ops::expm1_op, x); }
Expr sqrt(Expr x) { return apply1(ops::sqrt_op, x); }
Expr abs(Expr x) { return apply1(ops::abs_op, x); }
Expr tanh(Expr x) { return apply1(ops::tanh_op, x); }
Expr sigmoid(Expr x) { return apply1(ops::sigmoid_op, x); }
Expr log_sigmoid(Expr x) { return apply1(ops::log_sigmoid_op, x); }
Expr softplus(Expr x) { return apply1(ops::softplus_op, x); }
Expr relu(Expr x) { return apply1(ops::relu_op, x); }
Expr clip(Expr x, double lo, double hi) {
  if (!(lo <= hi))
    throw InvalidArgument("clip: argument 'lo' is " + format_number(lo) + ", but must not exceed 'hi' (" +
                          format_number(hi) + ")");
  return apply1(ops::clip_op, x, Attrs{{}, {lo, hi}});
}

}  // namespace elbo
