// act(matmul(a, b)) for act in {tanh, relu, sigmoid} runs as one op
// (ops/matmul_activation_op.cpp) when nothing else uses the product. The product node
// keeps its shape and buffers (its gradient buffer is the fused op's scratch) but is not
// run. The fused op gives the bits of the two ops.
#include "../ops/registry.hpp"
#include "rewrite.hpp"

namespace elbo {

namespace {
std::vector<int> fuse(RewriteContext& ctx, int root) {
  const Node& act = ctx.node(root);
  const OpDef* fused = ops::matmul_fused_with(*act.op);
  if (!fused || !act.sampled || act.inputs.size() != 1) return {};
  const int m = act.inputs[0];
  if (!ctx.is(m, ops::matmul_op) || !ctx.used_once(m)) return {};
  // Without batch dimensions only (every dense layer): the fused backward then needs no
  // zero fill of broadcast gradients.
  const Node& product = ctx.node(m);
  if (ctx.node(product.inputs[0]).shape.size() > 2 || ctx.node(product.inputs[1]).shape.size() > 2) return {};
  ProgramStep& s = ctx.step(root);
  s.op = fused;
  s.inputs = product.inputs;
  s.scratch = m;
  return {m};
}
}  // namespace

const Rewrite matmul_activation_fusion{"matmul_activation_fusion",
                                       {&ops::tanh_op, &ops::relu_op, &ops::sigmoid_op}, &fuse};

}  // namespace elbo
