#pragma once
// The probit approximation of the linearised network's predictive for a likelihood of class
// labels (MacKay 1992; Daxberger et al. 2021, "Laplace Redux": laplace-torch's default link
// for classification). Under the network linearised at q's mean mu and a Gaussian q, the
// last layer's value k at a row is normal with mean f_k(x, mu) and variance
// v_k = J_k Sigma J_k^T (J_k its gradient in the weights, Sigma q's covariance); the probit
// approximation of E[sigmoid(f)] is sigmoid(f_k / sqrt(1 + pi v_k / 8)), and for K classes
// laplace-torch's softmax of those scaled values. No draws: one deterministic answer.
#include "elbo/bnn/likelihood.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/bnn/predictive_draws.hpp"
#include "elbo/export.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

/// The scaled last-layer values f_k(x, mu) / sqrt(1 + pi v_k / 8) at x [rows, F] (the
/// network's input space) as a PredictiveDraws of one draw, which the likelihood reads as
/// the probit-approximated class probabilities. `net` was built with `options` on `model`;
/// q must have a closed-form covariance (Approximation::linear_variance: meanfield,
/// fullrank, kron). Throws InvalidArgument for a likelihood that is not of class labels
/// (it has parameters of its own, or no class names) or a q without that covariance.
PredictiveDraws probit_predictive(const Model& model, const Mlp& net, const MlpOptions& options,
                                  const Likelihood& likelihood, const Approximation& q, const Tensor& x);

}  // namespace elbo
ELBO_API_END
