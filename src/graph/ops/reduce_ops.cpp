// Reductions over one axis or over everything: sum, mean, logsumexp.
// Attrs: ints = {axis, keepdims}; no ints means "all elements".
#include <cmath>
#include <limits>

#include "../index_loop.hpp"
#include "../layout.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

// One reduction laid out: for every output element, the input offset of its first term,
// the stride along the reduced axis and the length.
struct ReducePlan {
  bool all = false;
  int64_t len = 0, stride = 0;
  Index4 outer{};                    // input shape with the axis set to 1 (no allocation per run)
  std::array<int64_t, 4> in_st{}, out_st{};
  int rank = 0;
};

ReducePlan make_plan(const Shape& in, const Shape& out, const Attrs& at) {
  ReducePlan p;
  if (at.ints.empty()) {
    p.all = true;
    p.len = numel(in);
    return p;
  }
  int axis = static_cast<int>(at.ints[0]);
  bool keep = at.ints[1] != 0;
  p.rank = static_cast<int>(in.size());
  p.len = in[axis];
  auto ist = layout::strides(in), ost = layout::strides(out);
  p.stride = ist[axis];
  for (int a = 0; a < p.rank; ++a) p.outer[a] = a == axis ? 1 : in[a];
  for (int a = 0; a < p.rank; ++a) {
    p.in_st[a] = ist[a];
    if (a == axis)
      p.out_st[a] = 0;
    else
      p.out_st[a] = ost[keep ? a : (a > axis ? a - 1 : a)];
  }
  return p;
}

template <class F>
void for_each_lane(const ReducePlan& p, F f) {
  if (p.all) {
    f(int64_t{0}, int64_t{0});
    return;
  }
  for_each_index(p.outer, p.rank, [&](const Index4& i) {
    f(offset_of(i, p.in_st, p.rank), offset_of(i, p.out_st, p.rank));
  });
}

template <class Rule>
struct Reduce {
  static constexpr std::string_view name = Rule::name;
  static constexpr int arity = 1;
  // Every input element belongs to one lane, so its gradient is written once: a fresh
  // gradient is assigned (no zero fill first; the likelihood's mean over a minibatch).
  static constexpr bool backward_assigns = true;

  static Shape infer(std::span<const Shape> in, const Attrs& at) {
    if (at.ints.empty()) return Shape{};
    const Shape& s = in[0];
    int axis = normalize_axis(name, at.ints[0], static_cast<int>(s.size()));
    Shape out;
    for (int a = 0; a < static_cast<int>(s.size()); ++a) {
      if (a != axis)
        out.push_back(s[a]);
      else if (at.ints[1])
        out.push_back(1);
    }
    return out;
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    ReducePlan p = make_plan(*k.in_shape[0], *k.out_shape, *k.attrs);
    const T* x = k.in[0];
    for_each_lane(p, [&](int64_t io, int64_t oo) {
      const T* xp = x + io;
      int64_t st = p.all ? 1 : p.stride;
      k.out[oo] = Rule::template reduce<T>(xp, p.len, st);
    });
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    if (!k.gin[0]) return;
    ReducePlan p = make_plan(*k.in_shape[0], *k.out_shape, *k.attrs);
    const bool fresh = k.gin_fresh & 1u;
    for_each_lane(p, [&](int64_t io, int64_t oo) {
      int64_t st = p.all ? 1 : p.stride;
      if (fresh)
        Rule::template grad<T, true>(k.in[0] + io, k.out[oo], k.gout[oo], k.gin[0] + io, p.len, st);
      else
        Rule::template grad<T, false>(k.in[0] + io, k.out[oo], k.gout[oo], k.gin[0] + io, p.len, st);
    });
  }
};

struct SumRule {
  static constexpr std::string_view name = "sum";
  template <class T>
  static T reduce(const T* x, int64_t n, int64_t st) {
    if (st == 1) {
      // Partial sums by index, combined in a fixed order. Eigen's sum() would start its
      // packets where the address is aligned, so the rounding, and thus the result, would
      // depend on where x lies (a sample's block in a batch, one program against another).
      constexpr int L = 16;
      T part[L] = {};
      int64_t i = 0;
      for (; i + L <= n; i += L)
        for (int j = 0; j < L; ++j) part[j] += x[i + j];
      for (int j = 0; i < n; ++i, ++j) part[j] += x[i];
      T s = 0;
      for (int j = 0; j < L; ++j) s += part[j];
      return s;
    }
    T s = 0;
    for (int64_t i = 0; i < n; ++i) s += x[i * st];
    return s;
  }
  // gx = g (Assign) or gx += g, along the lane.
  template <class T, bool Assign>
  static void grad(const T*, T, T g, T* gx, int64_t n, int64_t st) {
    for (int64_t i = 0; i < n; ++i) gx[i * st] = Assign ? g : gx[i * st] + g;
  }
};

struct MeanRule {
  static constexpr std::string_view name = "mean";
  template <class T>
  static T reduce(const T* x, int64_t n, int64_t st) {
    return n ? SumRule::reduce(x, n, st) / static_cast<T>(n) : std::numeric_limits<T>::quiet_NaN();
  }
  template <class T, bool Assign>
  static void grad(const T*, T, T g, T* gx, int64_t n, int64_t st) {
    T gi = g / static_cast<T>(n);
    for (int64_t i = 0; i < n; ++i) gx[i * st] = Assign ? gi : gx[i * st] + gi;
  }
};

struct LogSumExpRule {
  static constexpr std::string_view name = "logsumexp";
  template <class T>
  static T reduce(const T* x, int64_t n, int64_t st) {
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i * st]);
    if (!std::isfinite(m)) return m;
    T s = 0;
    for (int64_t i = 0; i < n; ++i) s += std::exp(x[i * st] - m);
    return m + std::log(s);
  }
  template <class T, bool Assign>
  static void grad(const T* x, T y, T g, T* gx, int64_t n, int64_t st) {
    for (int64_t i = 0; i < n; ++i) {
      const T d = g * std::exp(x[i * st] - y);
      gx[i * st] = Assign ? d : gx[i * st] + d;
    }
  }
};

Expr reduce(const OpDef& op, Expr x, Attrs attrs) {
  if (!x.valid()) throw InvalidArgument(std::string(op.name) + ": the operand is an empty expression");
  Expr in[1] = {x};
  return detail::apply(op, in, std::move(attrs));
}

Attrs axis_attrs(std::string_view op, const Expr& x, int axis, bool keepdims) {
  if (!x.valid()) throw InvalidArgument(std::string(op) + ": the operand is an empty expression");
  int a = normalize_axis(op, axis, x.shape());
  return Attrs{{a, keepdims ? 1 : 0}, {}};
}

}  // namespace

namespace ops {
const OpDef sum_op = make_op<Reduce<SumRule>>();
const OpDef mean_op = make_op<Reduce<MeanRule>>();
const OpDef logsumexp_op = make_op<Reduce<LogSumExpRule>>();
}  // namespace ops

Expr sum(Expr x) { return reduce(ops::sum_op, x, {}); }
Expr sum(Expr x, int axis, bool keepdims) {
  return reduce(ops::sum_op, x, axis_attrs("sum", x, axis, keepdims));
}
Expr mean(Expr x) { return reduce(ops::mean_op, x, {}); }
Expr mean(Expr x, int axis, bool keepdims) {
  return reduce(ops::mean_op, x, axis_attrs("mean", x, axis, keepdims));
}
Expr logsumexp(Expr x) { return reduce(ops::logsumexp_op, x, {}); }
Expr logsumexp(Expr x, int axis, bool keepdims) {
  return reduce(ops::logsumexp_op, x, axis_attrs("logsumexp", x, axis, keepdims));
}

}  // namespace elbo
