#pragma once
// The graph-expression form of a hand-derived family: a GraphFamily with the same
// parameters (in the same order) whose gradients come from the engine's AD. It is the
// reference that MeanField's and FullRank's fast paths are tested against
// (tests/vi/graph_family_test.cpp), and what a new hand-fused family must match.
#include <memory>

#include "elbo/export.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

/// q's family written as graph expressions, holding q's parameters: for MeanField and
/// FullRank a GraphFamily, for a GraphFamily a copy of it. Throws InvalidArgument for a
/// family with no graph form.
std::unique_ptr<Approximation> graph_form(const Approximation& q);

}  // namespace elbo
ELBO_API_END
