// A dense layer's ops run as one (ops/matmul_activation_op.cpp) when nothing else uses
// their intermediate values:
//   act(matmul(a, w))         -> matmul_tanh / matmul_relu / matmul_sigmoid
//   act(matmul(a, w) + bias)  -> matmul_bias_tanh / ...    (either order of the add)
//   matmul(a, w) + bias       -> matmul_bias               (an output layer's logits)
// for act in {tanh, relu, sigmoid}, a and w matrices and bias a vector of w's column count.
// The product node keeps its shape and buffers (its gradient buffer is the fused op's
// scratch, with an activation) but is not run, nor is the add. The fused op gives the bits
// of the ops it replaces.
#include "../ops/registry.hpp"
#include "rewrite.hpp"

namespace elbo {

namespace {

// The product absorbed into a fused op: a matmul of two matrices used once.
bool fusable_product(RewriteContext& ctx, int m) {
  if (!ctx.is(m, ops::matmul_op) || !ctx.used_once(m)) return false;
  // Matrices only (every dense layer): the fused backward then needs no zero fill of
  // broadcast gradients, and the bias is a vector over the product's columns.
  const Node& product = ctx.node(m);
  return ctx.node(product.inputs[0]).shape.size() == 2 && ctx.node(product.inputs[1]).shape.size() == 2;
}

// For add(x, y): the product and the bias (x or y) when one is a fusable product and the
// other a vector of its column count; {-1, -1} otherwise.
std::pair<int, int> product_and_bias(RewriteContext& ctx, int add) {
  const Node& s = ctx.node(add);
  if (s.inputs.size() != 2) return {-1, -1};
  for (int first = 0; first < 2; ++first) {
    const int m = s.inputs[static_cast<size_t>(first)], b = s.inputs[static_cast<size_t>(1 - first)];
    if (!fusable_product(ctx, m)) continue;
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
  if (fusable_product(ctx, x)) {  // act(matmul(a, w))
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
