// Broadcasting binary arithmetic: add, sub, mul, div, pow. Each op is a value rule and
// its two partial derivatives, side by side.
#include <algorithm>
#include <cmath>

#include "../broadcast.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"
#include "sum_of_terms.hpp"

namespace elbo {
namespace {

template <class T, class F>
inline void run_forward(int64_t n, T* o, const T* a, int64_t sa, const T* b, int64_t sb, F f) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const T bv = b[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const T av = a[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i * sa], b[i * sb]);
  }
}

template <class Rule>
struct Binary {
  static constexpr std::string_view name = Rule::name;
  static constexpr int arity = 2;
  // A fresh input gradient is assigned where the input is not broadcast (one term per
  // element); a broadcast one gets several terms, so the kernel zeroes it first itself.
  static constexpr bool backward_assigns = true;
  static Shape infer(std::span<const Shape> in, const Attrs&) { return broadcast_shapes(name, in); }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    const T* a = k.in[0];
    const T* b = k.in[1];
    T* out = k.out;
    broadcast_runs<2>(*k.out_shape, {k.in_shape[0], k.in_shape[1]},
                      [&](int64_t n, int64_t o, const auto& off, const auto& st) {
                        run_forward(n, out + o, a + off[0], st[0], b + off[1], st[1],
                                    [](T x, T y) { return Rule::f(x, y); });
                      });
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    const T* a = k.in[0];
    const T* b = k.in[1];
    const T* y = k.out;
    const T* g = k.gout;
    T* ga = k.gin[0];
    T* gb = k.gin[1];
    // Per input: assign (fresh and not broadcast), or accumulate (after a zero fill when
    // fresh and broadcast).
    bool assign[2] = {false, false};
    for (int a = 0; a < 2; ++a) {
      if (!k.gin[a] || !((k.gin_fresh >> a) & 1u)) continue;
      if (*k.in_shape[a] == *k.out_shape)
        assign[a] = true;
      else
        std::fill(k.gin[a], k.gin[a] + numel(*k.in_shape[a]), T(0));
    }
    auto accumulate = [](T* gp, int64_t n, int64_t st, bool set, auto term) {
      if (st == 0 && n > 1) {
        // The input is broadcast along the run (a bias over a matrix's rows): its one
        // element gets n terms. Summed into a register in kLanes independent partial sums
        // combined in a fixed order (deterministic, and no chain of stores and loads
        // through *gp: that chain was a quarter of a 2817-weight network's step). Matmul
        // fused with a bias sums a bias's gradient the same way (matmul_activation_op.cpp).
        const T total = sum_of_terms<T>(n, term);
        if (set)
          gp[0] = total;
        else
          gp[0] += total;
      } else if (set) {
        for (int64_t i = 0; i < n; ++i) gp[i * st] = term(i);
      } else {
        for (int64_t i = 0; i < n; ++i) gp[i * st] += term(i);
      }
    };
    broadcast_runs<2>(*k.out_shape, {k.in_shape[0], k.in_shape[1]},
                      [&](int64_t n, int64_t o, const auto& off, const auto& st) {
                        const T* ap = a + off[0];
                        const T* bp = b + off[1];
                        if (ga)
                          accumulate(ga + off[0], n, st[0], assign[0], [&](int64_t i) {
                            return g[o + i] * Rule::da(ap[i * st[0]], bp[i * st[1]], y[o + i]);
                          });
                        if (gb)
                          accumulate(gb + off[1], n, st[1], assign[1], [&](int64_t i) {
                            return g[o + i] * Rule::db(ap[i * st[0]], bp[i * st[1]], y[o + i]);
                          });
                      });
  }
};

struct AddRule {
  static constexpr std::string_view name = "add";
  template <class T> static T f(T a, T b) { return a + b; }
  template <class T> static T da(T, T, T) { return T(1); }
  template <class T> static T db(T, T, T) { return T(1); }
};
struct SubRule {
  static constexpr std::string_view name = "sub";
  template <class T> static T f(T a, T b) { return a - b; }
  template <class T> static T da(T, T, T) { return T(1); }
  template <class T> static T db(T, T, T) { return T(-1); }
};
struct MulRule {
  static constexpr std::string_view name = "mul";
  template <class T> static T f(T a, T b) { return a * b; }
  template <class T> static T da(T, T b, T) { return b; }
  template <class T> static T db(T a, T, T) { return a; }
};
struct DivRule {
  static constexpr std::string_view name = "div";
  template <class T> static T f(T a, T b) { return a / b; }
  template <class T> static T da(T, T b, T) { return T(1) / b; }
  template <class T> static T db(T, T b, T y) { return -y / b; }
};
struct PowRule {
  static constexpr std::string_view name = "pow";
  template <class T> static T f(T a, T b) { return std::pow(a, b); }
  template <class T> static T da(T a, T b, T) { return b == T(0) ? T(0) : b * std::pow(a, b - T(1)); }
  template <class T> static T db(T a, T, T y) { return a > T(0) ? y * std::log(a) : T(0); }
};

Expr apply2(const OpDef& op, Expr a, Expr b) {
  if (!a.valid() || !b.valid())
    throw InvalidArgument(std::string(op.name) + ": an operand is an empty expression");
  Expr in[2] = {a, b};
  return detail::apply(op, in);
}

Expr scalar_like(const Expr& other, double v) {
  if (!other.valid()) throw InvalidArgument("arithmetic with an empty expression");
  return Graph(other.graph_state()).scalar(v);
}

}  // namespace

namespace ops {
const OpDef add_op = make_op<Binary<AddRule>>();
const OpDef sub_op = make_op<Binary<SubRule>>();
const OpDef mul_op = make_op<Binary<MulRule>>();
const OpDef div_op = make_op<Binary<DivRule>>();
const OpDef pow_op = make_op<Binary<PowRule>>();
}  // namespace ops

Expr add(Expr a, Expr b) { return apply2(ops::add_op, a, b); }
Expr sub(Expr a, Expr b) { return apply2(ops::sub_op, a, b); }
Expr mul(Expr a, Expr b) { return apply2(ops::mul_op, a, b); }
Expr div(Expr a, Expr b) { return apply2(ops::div_op, a, b); }
Expr pow(Expr a, Expr b) { return apply2(ops::pow_op, a, b); }
Expr pow(Expr a, double e) {
  if (e == 2.0) return square(a);
  return pow(a, scalar_like(a, e));
}

Expr operator+(Expr a, Expr b) { return add(a, b); }
Expr operator-(Expr a, Expr b) { return sub(a, b); }
Expr operator*(Expr a, Expr b) { return mul(a, b); }
Expr operator/(Expr a, Expr b) { return div(a, b); }
Expr operator-(Expr a) { return neg(a); }
Expr operator+(Expr a, double b) { return add(a, scalar_like(a, b)); }
Expr operator+(double a, Expr b) { return add(scalar_like(b, a), b); }
Expr operator-(Expr a, double b) { return sub(a, scalar_like(a, b)); }
Expr operator-(double a, Expr b) { return sub(scalar_like(b, a), b); }
Expr operator*(Expr a, double b) { return mul(a, scalar_like(a, b)); }
Expr operator*(double a, Expr b) { return mul(scalar_like(b, a), b); }
Expr operator/(Expr a, double b) { return div(a, scalar_like(a, b)); }
Expr operator/(double a, Expr b) { return div(scalar_like(b, a), b); }

}  // namespace elbo
