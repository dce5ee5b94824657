// Bernoulli log densities on p = sigmoid(z) run on the logit z (ops/bernoulli_logit_logp_op.cpp):
//   bernoulli_logp(sigmoid(z), y)               -> bernoulli_logit_logp(z, y)
//   sum(bernoulli_logp(sigmoid(z), y))          -> bernoulli_logit_logp_sum(z, y)
//   mean(bernoulli_logp(sigmoid(z), y)) [* c]   -> bernoulli_logit_logp_mean(z, y, c)
// for a scalar constant c (a minibatch's total_size scaling). The same log density on the
// labels {0, 1} of both ops, computed as y z - softplus(z): stable for any z, and one node
// with its gradient instead of three to five. The results are the bits of the fused node
// written by hand (what the Bernoulli distribution built before this rewrite existed), not
// those of the plain nodes, which compute log(sigmoid(z)) and log1p(-sigmoid(z)).
#include "../ops/registry.hpp"
#include "rewrite.hpp"

namespace elbo {

namespace {

// The logit z when node i is bernoulli_logp(sigmoid(z), y) and only its consumer uses it
// and its sigmoid; -1 otherwise. Appends the nodes a rewrite through i absorbs.
int logit_of(RewriteContext& ctx, int i, std::vector<int>& absorbed) {
  if (!ctx.is(i, ops::bernoulli_logp_op)) return -1;
  const int s = ctx.node(i).inputs[0];
  if (!ctx.is(s, ops::sigmoid_op) || !ctx.used_once(s)) return -1;
  absorbed.push_back(s);
  return ctx.node(s).inputs[0];
}

bool full_reduction(const Node& n) { return n.attrs.ints.empty(); }

std::vector<int> rewrite(RewriteContext& ctx, int root) {
  const Node& r = ctx.node(root);
  std::vector<int> absorbed;
  int density = root;  // the bernoulli_logp node
  Attrs attrs;         // of bernoulli_logit_logp_sum_op: ints {mean ? 1 : 0}, reals {scale} unless 1
  const OpDef* op = &ops::bernoulli_logit_logp_sum_op;
  if (ctx.is(root, ops::bernoulli_logp_op)) {
    op = &ops::bernoulli_logit_logp_op;
  } else if (ctx.is(root, ops::sum_op) || ctx.is(root, ops::mean_op)) {
    if (!full_reduction(r)) return {};
    density = r.inputs[0];
    attrs.ints = {ctx.is(root, ops::mean_op) ? 1 : 0};
  } else {  // mul(mean(...), c)
    const int m = r.inputs[0], c = r.inputs[1];
    const Node& cn = ctx.node(c);
    if (!ctx.is(m, ops::mean_op) || !ctx.used_once(m) || !full_reduction(ctx.node(m))) return {};
    if (cn.kind != NodeKind::constant || !cn.shape.empty()) return {};
    const double scale = (*cn.value)[0];
    absorbed.push_back(m);
    density = ctx.node(m).inputs[0];
    attrs.ints = {1};
    if (scale != 1.0) attrs.reals = {scale};
  }
  if (density != root && !ctx.used_once(density)) return {};
  const int z = logit_of(ctx, density, absorbed);
  if (z < 0) return {};
  if (density != root) absorbed.push_back(density);
  ProgramStep& s = ctx.step(root);
  s.op = op;
  s.inputs = {z, ctx.node(density).inputs[1]};
  if (op == &ops::bernoulli_logit_logp_sum_op) s.attrs = ctx.keep(std::move(attrs));
  return absorbed;
}

}  // namespace

const Rewrite bernoulli_logit{"bernoulli_logit",
                              {&ops::bernoulli_logp_op, &ops::sum_op, &ops::mean_op, &ops::mul_op},
                              &rewrite};

}  // namespace elbo
