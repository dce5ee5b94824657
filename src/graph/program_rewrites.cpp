#include "program_rewrites.hpp"

#include <utility>

namespace elbo {

namespace {

// Every rewrite, in the order they are tried on a node.
const Rewrite* const kRewrites[] = {&bernoulli_logit, &matmul_activation_fusion, &normal_prior_merge};

std::vector<int> count_uses(const GraphState& g, const std::vector<char>& needed, const std::vector<int>& outputs) {
  std::vector<int> uses(g.nodes.size(), 0);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (needed[i])
      for (int j : g.nodes[i].inputs) ++uses[static_cast<size_t>(j)];
  for (int o : outputs) ++uses[static_cast<size_t>(o)];
  return uses;
}

}  // namespace

std::vector<ProgramStep> rewrite_program(const GraphState& g, const std::vector<char>& needed,
                                         const std::vector<int>& outputs, bool enabled,
                                         std::deque<Attrs>& owned_attrs) {
  const size_t n = g.nodes.size();
  std::vector<ProgramStep> steps(n);
  for (size_t i = 0; i < n; ++i) {
    const Node& nd = g.nodes[i];
    if (nd.kind != NodeKind::op) continue;
    steps[i] = ProgramStep{nd.op, nd.inputs, &nd.attrs, -1};
  }
  if (!enabled) return steps;
  RewriteContext ctx(g, steps, count_uses(g, needed, outputs), owned_attrs);
  std::vector<char> absorbed(n, 0);
  for (size_t i = n; i-- > 0;) {
    if (!needed[i] || absorbed[i] || g.nodes[i].kind != NodeKind::op) continue;
    for (const Rewrite* r : kRewrites) {
      bool root = false;
      for (const OpDef* op : r->roots) root = root || op == g.nodes[i].op;
      if (!root) continue;
      std::vector<int> gone = r->apply(ctx, static_cast<int>(i));
      if (gone.empty()) continue;
      for (int j : gone) absorbed[static_cast<size_t>(j)] = 1;
      break;
    }
  }
  return steps;
}

}  // namespace elbo
