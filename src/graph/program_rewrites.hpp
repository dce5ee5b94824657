#pragma once
// The rewrite pass of the program compiler (rewrites/rewrite.hpp).
#include <deque>
#include <vector>

#include "rewrites/rewrite.hpp"

namespace elbo {

/// How the program runs each node: as built when `enabled` is false, else after every
/// rewrite that fires, each keyed by its root ops. `needed` marks the nodes the outputs
/// and parameters need in the graph as built; `outputs` are the output node ids.
std::vector<ProgramStep> rewrite_program(const GraphState& g, const std::vector<char>& needed,
                                         const std::vector<int>& outputs, bool enabled,
                                         std::deque<Attrs>& owned_attrs);

}  // namespace elbo
