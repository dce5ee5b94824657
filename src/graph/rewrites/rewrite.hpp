#pragma once
// Compile-time rewrites: patterns of graph nodes that a program runs as fewer, fused ops.
// The graph is never changed; a rewrite changes how the program runs its root node (the
// op, its inputs, its attributes) and leaves the nodes it absorbs unused, so the planner
// (program_plan.cpp) does not run them. Every rewrite gives the bits of the plain graph
// unless its file says otherwise; tests/graph/rewrites_test.cpp checks each one.
//
// Adding a rewrite: one file here defining a `Rewrite`, and one line in kRewrites
// (program_rewrites.cpp).
#include <deque>
#include <span>
#include <string_view>
#include <vector>

#include "../graph_impl.hpp"

namespace elbo {

/// How a program runs one graph node: after rewriting, the op, inputs and attributes may
/// differ from the node's.
struct ProgramStep {
  const OpDef* op = nullptr;  ///< null for inputs and constants
  std::vector<int> inputs;
  const Attrs* attrs = nullptr;
  /// A node whose gradient buffer this op uses as working memory (KernelArgs::scratch),
  /// sized but never run; -1 for none.
  int scratch = -1;
};

/// What a rewrite sees and changes.
class RewriteContext {
 public:
  RewriteContext(const GraphState& g, std::vector<ProgramStep>& steps, std::vector<int> uses,
                 std::deque<Attrs>& owned_attrs)
      : g_(g), steps_(steps), uses_(std::move(uses)), owned_attrs_(owned_attrs) {}

  const Node& node(int i) const { return g_.nodes[static_cast<size_t>(i)]; }
  /// True when node i is an op node with op `op`.
  bool is(int i, const OpDef& op) const {
    const Node& n = node(i);
    return n.kind == NodeKind::op && n.op == &op;
  }
  /// True when node i's only consumer is the pattern being matched: one use, and it is not
  /// an output, so the rewrite may absorb it.
  bool used_once(int i) const { return uses_[static_cast<size_t>(i)] == 1; }
  ProgramStep& step(int i) { return steps_[static_cast<size_t>(i)]; }
  /// Attributes that live as long as the program, for a rewritten node whose attributes
  /// are no node's.
  const Attrs* keep(Attrs attrs) {
    owned_attrs_.push_back(std::move(attrs));
    return &owned_attrs_.back();
  }

 private:
  const GraphState& g_;
  std::vector<ProgramStep>& steps_;
  std::vector<int> uses_;  // consumers among the needed nodes, plus one per output
  std::deque<Attrs>& owned_attrs_;
};

/// One rewrite: tried on every needed op node whose op is among `roots`, last node first
/// (so a larger pattern claims its nodes before a smaller one inside it sees them).
/// `apply` returns the nodes it absorbed (empty: it did not fire).
struct Rewrite {
  std::string_view name;
  std::vector<const OpDef*> roots;
  std::vector<int> (*apply)(RewriteContext& ctx, int root);
};

// The rewrites (one file each).
extern const Rewrite matmul_activation_fusion;  // rewrites/matmul_activation_fusion.cpp
extern const Rewrite normal_prior_merge;        // rewrites/normal_prior_merge.cpp
extern const Rewrite bernoulli_logit;           // rewrites/bernoulli_logit.cpp

}  // namespace elbo
