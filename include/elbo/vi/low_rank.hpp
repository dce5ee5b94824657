#pragma once
// Low-rank plus diagonal Gaussian q(z) = N(mu, diag(sigma^2) + W W^T) with W [D, K] and
// sigma = softplus(rho) (NumPyro's AutoLowRankMultivariateNormal): correlations along K
// directions at O(D K) parameters, for models where FullRank's D(D+1)/2 is too many.
// z = mu + sigma * eps1 + W eps2 from D + K standard normals; log q(z) by the Woodbury
// identity and the matrix determinant lemma through a K x K Cholesky factor. Written as
// graph expressions (GraphFamily), so the engine derives its gradients.
#include <span>

#include "elbo/export.hpp"
#include "elbo/vi/graph_family.hpp"

ELBO_API_BEGIN
namespace elbo {

class LowRank final : public GraphFamily {
 public:
  /// mu at `mu`, every sigma at start_sigma (0: softplus(0) = ln 2, as MeanField) and W at
  /// zero, as NumPyro starts its factor. rank K >= 1 (and at most D).
  LowRank(std::span<const double> mu, int64_t rank, double start_sigma = 0.0);

  /// "lowrank:K".
  std::string kind() const override;
  int64_t rank() const { return k_; }
  std::unique_ptr<Approximation> clone() const override { return std::make_unique<LowRank>(*this); }

  /// Closed forms (Woodbury and the determinant lemma).
  double entropy() const override;
  std::vector<double> mean() const override;
  std::vector<double> sd() const override;
  Tensor cov() const override;

 protected:
  FamilyExpressions build(Graph& graph, Expr eps, std::span<const Expr> theta,
                          std::span<const Expr> direct) const override;

 private:
  int64_t k_;
};

}  // namespace elbo
ELBO_API_END
