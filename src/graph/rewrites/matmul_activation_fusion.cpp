// A dense layer's ops run as one (ops/matmul_activation_op.cpp) when nothing else uses
// their intermediate values:
//   act(matmul(a, w))         -> matmul_tanh / matmul_relu / matmul_sigmoid
//   act(matmul(a, w) + bias)  -> matmul_bias_tanh / ...    (either order of the add)
//   matmul(a, w) + bias       -> matmul_bias               (an output layer's logits)
// for act in {tanh, relu, sigmoid}: without a bias, a and w of rank 1 or 2; with one, a and
// w matrices and bias a vector of w's column count. The product must depend on the
// parameters (be sampled): a fixed product runs once per data change, not every step, and
// only a sampled node has the gradient buffer the fused op uses as scratch.
// The product node keeps its shape and buffers (its gradient buffer is the fused op's
// scratch, with an activation) but is not run, nor is the add. The fused op gives the bits
// of the ops it replaces.
#include "../ops/registry.hpp"
#include "rewrite.hpp"

namespace elbo {

namespace {

// The product absorbed into a fused op: a sampled matmul used once, without batch
// dimensions (every dense layer: the fused backward then needs no zero fill of broadcast
// gradients); of two matrices where a bias follows (a vector over its columns).
bool fusable_product(RewriteContext& ctx, int m, bool with_bias) {
  if (!ctx.is(m, ops::matmul_op) || !ctx.used_once(m) || !ctx.node(m).sampled) return false;
  const Node& product = ctx.node(m);
  const size_t ra = ctx.node(product.inputs[0]).shape.size(), rb = ctx.node(product.inputs[1]).shape.size();
  return with_bias ? ra == 2 && rb == 2 : ra <= 2 && rb <= 2;
}

// For add(x, y): the product and the bias (x or y) when one is a fusable product and the
// other a vector of its column count; {-1, -1} otherwise.
std::pair<int, int> product_and_bias(RewriteContext& ctx, int add) {
  const Node& s = ctx.node(add);
  if (s.inputs.size() != 2) return {-1, -1};
  for (int first = 0; first < 2; ++first) {
    const int m = s.inputs[static_cast<size_t>(first)], b = s.inputs[static_cast<size_t>(1 - first)];
    if (!fusable_product(ctx, m, true)) continue;
    const Shape& out = ctx.node(m).shape;
    if (ctx.node(b).shape == Shape{out.back()}) return {m, b};
  }
  return {-1, -1};
}

void run_fused(RewriteContext& ctx, int root, const OpDef* fused, int product, int bias, bool scratch) {
  ProgramStep& s = ctx.step(root);
  s.op = fused;
  s.inputs = ctx.node(product).inputs;
  if (bias >= 0) s.inputs.push_back(bias);
  s.scratch = scratch ? product : -1;
}

std::vector<int> fuse(RewriteContext& ctx, int root) {
  const Node& top = ctx.node(root);
  if (!top.sampled) return {};
  if (ctx.is(root, ops::add_op)) {  // matmul(a, w) + bias
    const auto [m, b] = product_and_bias(ctx, root);
    if (m < 0) return {};
    run_fused(ctx, root, ops::matmul_fused_with(nullptr, true), m, b, false);
    return {m};
  }
  if (top.inputs.size() != 1) return {};
  const int x = top.inputs[0];
  if (fusable_product(ctx, x, false)) {  // act(matmul(a, w))
    run_fused(ctx, root, ops::matmul_fused_with(top.op, false), x, -1, true);
    return {x};
  }
  if (!ctx.is(x, ops::add_op) || !ctx.used_once(x)) return {};
  const auto [m, b] = product_and_bias(ctx, x);  // act(matmul(a, w) + bias)
  if (m < 0) return {};
  run_fused(ctx, root, ops::matmul_fused_with(top.op, true), m, b, true);
  return {m, x};
}

}  // namespace

const Rewrite matmul_activation_fusion{"matmul_activation_fusion",
                                       {&ops::tanh_op, &ops::relu_op, &ops::sigmoid_op, &ops::add_op}, &fuse};

}  // namespace elbo
