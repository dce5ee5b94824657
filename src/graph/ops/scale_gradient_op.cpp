// scale_gradient(x, factor): the value of x; in the backward pass the gradient reaching x
// is multiplied by `factor` (Theano's grad_scale). factor is a scalar that does not depend
// on parameters (a data input, so it can change between runs without recompiling), and no
// gradient flows to it. The variational families use it for PyMC's cost_part_grad_scale:
// the part of d log q / d params that does not flow through the draw z.
#include <algorithm>

#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

struct ScaleGradient {
  static constexpr std::string_view name = "scale_gradient";
  static constexpr int arity = 2;
  static Shape infer(std::span<const Shape> in, const Attrs&) {
    if (!in[1].empty()) throw_shape_error(name, in, "do not fit (the factor must be a scalar)");
    return in[0];
  }
  template <class T>
  static void forward(const KernelArgs<T>& k) {
    std::copy(k.in[0], k.in[0] + numel(*k.out_shape), k.out);
  }
  template <class T>
  static void backward(const KernelArgs<T>& k) {
    if (!k.gin[0]) return;
    const T f = k.in[1][0];
    const int64_t n = numel(*k.out_shape);
    for (int64_t i = 0; i < n; ++i) k.gin[0][i] += f * k.gout[i];
  }
};

}  // namespace

namespace ops {
const OpDef scale_gradient_op = make_op<ScaleGradient>(/*factor*/ 2u);
}

Expr scale_gradient(Expr x, Expr factor) {
  if (!x.valid()) throw InvalidArgument("scale_gradient: argument 'x' is an empty expression");
  if (!factor.valid()) throw InvalidArgument("scale_gradient: argument 'factor' is an empty expression");
  if (factor.sampled())
    throw InvalidArgument("scale_gradient: argument 'factor' depends on a parameter; it must be data or a constant");
  Expr in[2] = {x, factor};
  return detail::apply(ops::scale_gradient_op, in);
}

}  // namespace elbo
