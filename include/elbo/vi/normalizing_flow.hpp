#pragma once
// A normalizing flow q(z) (PyMC's NormalizingFlow, the family of NFVI): standard normal
// noise pushed through a stack of invertible layers given by a formula
// (flow_formula.hpp), log q(z) = log N(eps) - sum of the layers' log |det J|. Written as
// graph expressions (GraphFamily), so the engine derives every layer's gradients.
//
// Start: every layer starts as the identity except householder (a reflection, random with
// a fixed seed); the last loc layer starts at the model's initial point and every scale
// layer at start_sigma, so "scale-loc" starts where ADVI does.
// cost_part_grad_scale other than 1 needs log q at a given z, i.e. every layer's inverse in
// closed form: true for loc, scale and hh; planar and radial have none.
#include <span>
#include <string>

#include "elbo/export.hpp"
#include "elbo/vi/flow_formula.hpp"
#include "elbo/vi/graph_family.hpp"

ELBO_API_BEGIN
namespace elbo {

class NormalizingFlow final : public GraphFamily {
 public:
  /// A flow over mu.size() coordinates. Throws InvalidArgument for a bad formula.
  NormalizingFlow(std::span<const double> mu, const std::string& formula, double start_sigma = 0.0);
  NormalizingFlow(std::span<const double> mu, std::vector<FlowLayer> layers, double start_sigma = 0.0);

  /// "flow:" and the canonical formula, e.g. "flow:scale-planar*8-loc".
  std::string kind() const override;
  const std::vector<FlowLayer>& layers() const { return layers_; }
  bool separates_score_part() const override;
  std::unique_ptr<Approximation> clone() const override { return std::make_unique<NormalizingFlow>(*this); }

 protected:
  FamilyExpressions build(Graph& graph, Expr eps, std::span<const Expr> theta,
                          std::span<const Expr> direct) const override;

 private:
  std::vector<FlowLayer> layers_;
};

}  // namespace elbo
ELBO_API_END
