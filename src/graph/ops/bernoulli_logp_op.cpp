// bernoulli_logp(p, y): log Bernoulli(y | p) elementwise for labels y in {0, 1}:
//   y != 0 ? log p : log1p(-p),  d/dp = y != 0 ? 1 / p : -1 / (1 - p); none to y.
// One node for where(y, log(p), log1p(-p)), and a pattern a program can see: on
// p = sigmoid(z) it runs bernoulli_logit_logp(z, y) instead (rewrites/bernoulli_logit.cpp),
// the same log density on the op's labels, stable for any z.
#include <cmath>

#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

struct BernoulliLogp {
  static constexpr std::string_view name = "bernoulli_logp";
  static constexpr int arity = 2;

  static Shape infer(std::span<const Shape> in, const Attrs&) {
    if (in[0] != in[1]) throw_shape_error(name, in, "differ (p and y must have the same shape)");
    return in[0];
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    const T *p = k.in[0], *y = k.in[1];
    const int64_t n = numel(*k.out_shape);
    for (int64_t i = 0; i < n; ++i) k.out[i] = y[i] != T(0) ? std::log(p[i]) : std::log1p(-p[i]);
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    if (!k.gin[0]) return;
    const T *p = k.in[0], *y = k.in[1];
    const int64_t n = numel(*k.out_shape);
    for (int64_t i = 0; i < n; ++i)
      k.gin[0][i] += y[i] != T(0) ? k.gout[i] / p[i] : -(k.gout[i] / (T(1) + -p[i]));
  }
};

}  // namespace

namespace ops {
const OpDef bernoulli_logp_op = make_op<BernoulliLogp>(/*y*/ 2u);
}

Expr bernoulli_logp(Expr p, Expr y) {
  if (!p.valid() || !y.valid()) throw InvalidArgument("bernoulli_logp: an operand is an empty expression");
  Expr in[2] = {p, y};
  return detail::apply(ops::bernoulli_logp_op, in);
}

}  // namespace elbo
