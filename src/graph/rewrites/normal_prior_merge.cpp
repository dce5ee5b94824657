// ((n1 + n2) + n3) ... where every n_k is a normal_logp_sum node with the same (mu, sigma)
// runs as one normal_logp_sum node over all their operands: a model's varlogp with N(0, s)
// priors on every weight matrix (Model sums the terms as a left fold in flat order).
//
// Only a chain whose every leaf is such a node is merged: the multi-operand kernel adds
// the per-operand sums in that same order, so in float64 the value has the bits of the
// adds. In float32 the kernel adds them in double before rounding once, so the value may
// differ from the float32 adds in the last bit (it is the value Model::varlogp built by
// hand before this rewrite existed); the gradients are the same bits in both.
#include "../ops/registry.hpp"
#include "rewrite.hpp"

namespace elbo {

namespace {
std::vector<int> merge(RewriteContext& ctx, int root) {
  // Walk down the left spine: root = add(add(add(n1, n2), n3), n4) gives n4, n3, n2, n1.
  std::vector<int> leaves, adds;
  int at = root;
  while (ctx.is(at, ops::add_op)) {
    const Node& a = ctx.node(at);
    if (at != root && !ctx.used_once(at)) return {};
    adds.push_back(at);
    leaves.push_back(a.inputs[1]);
    at = a.inputs[0];
  }
  leaves.push_back(at);
  const Node& first = ctx.node(leaves.back());
  size_t operands = 0;
  for (int leaf : leaves) {
    const Node& n = ctx.node(leaf);
    if (!ctx.is(leaf, ops::normal_logp_sum_op) || !ctx.used_once(leaf) || n.attrs.reals != first.attrs.reals)
      return {};
    operands += n.inputs.size();
  }
  if (operands > static_cast<size_t>(kMaxInputs)) return {};  // a shorter chain inside may fit
  ProgramStep& s = ctx.step(root);
  s.op = &ops::normal_logp_sum_op;
  s.attrs = &first.attrs;
  s.inputs.clear();
  for (auto it = leaves.rbegin(); it != leaves.rend(); ++it)
    for (int in : ctx.node(*it).inputs) s.inputs.push_back(in);
  std::vector<int> absorbed(adds.begin() + 1, adds.end());
  absorbed.insert(absorbed.end(), leaves.begin(), leaves.end());
  return absorbed;
}
}  // namespace

const Rewrite normal_prior_merge{"normal_prior_merge", {&ops::add_op}, &merge};

}  // namespace elbo
