#pragma once
// The Laplace approximation (Stan's `laplace`; for networks Daxberger et al. 2021, "Laplace
// Redux", and laplace-torch): the mode of log p(z, y) in the unconstrained space (MAP, by
// L-BFGS on the compiled gradient), then a Gaussian there whose precision is the Hessian of
// -log p at the mode: full (a FullRank q) or its diagonal (a MeanField q). A subset of the
// free variables can take the Gaussian while the others stay at the mode (laplace-torch's
// last-layer Laplace); the prior precision of chosen N(0, sd) variables can be picked by
// maximising the Laplace evidence, as laplace-torch's optimize_prior_precision does.
//
// The Hessian is computed column by column by central differences of the compiled
// gradient, h_j = cbrt(eps) max(1, |z_j|), a relative error of about 1e-10 in float64 (use a
// float64 model: in float32 it is about 1e-4), in runs of many columns at once on the
// program's threads. Cost: 2 D' gradient evaluations over all the rows for D' estimated
// coordinates, and O(D'^3) for the full factorisation, so full Laplace suits models of up
// to some thousands of parameters; last-layer Laplace suits wide networks.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"
#include "elbo/vi/kronecker_normal.hpp"
#include "elbo/vi/lbfgs.hpp"

ELBO_API_BEGIN
namespace elbo {

/// One layer's Kronecker factors of the likelihood's Hessian: over the coordinates of
/// `block` (a [rows, cols] matrix, row-major) the Hessian of -log p(y | z) is about A (x) G,
/// A [rows, rows] and G [cols, cols] symmetric positive semi-definite, row-major.
struct KroneckerFactors {
  KroneckerBlock block;
  std::vector<double> a, g;
};

struct LaplaceOptions {
  /// "full": the whole Hessian (q is FullRank; over a contiguous subset smaller than the
  /// model, one block of a KroneckerNormal); "diag": its diagonal (q is MeanField);
  /// "kron": Kronecker-factored blocks from `kronecker_factors` plus the diagonal of the
  /// coordinates outside them (q is KroneckerNormal).
  std::string hessian = "full";
  /// hessian "kron": the likelihood's factors at the mode (a network's come from
  /// elbo/bnn/kronecker_factors.hpp). Blocks outside the subset are left out; a block's
  /// variables must be in tuned_prior (the prior's precision is added to the factors').
  std::function<std::vector<KroneckerFactors>(std::span<const double> mode)> kronecker_factors = {};
  /// The free variables the Gaussian covers; empty: all. The others stay at the mode, with
  /// standard deviation `fixed_sd` (the covariance of the subset is then the conditional
  /// one, (H_subset)^-1).
  std::vector<std::string> subset = {};
  double fixed_sd = 1e-8;
  /// Free variables whose prior is N(0, 1 / sqrt(prior_precision)) in the unconstrained
  /// space (a network's weights): their prior precision is chosen by maximising the Laplace
  /// evidence at the mode (post hoc: the mode stays). Empty: no tuning.
  std::vector<std::string> tuned_prior = {};
  /// The precision of those priors in the model.
  double prior_precision = 1.0;
  /// Non-empty (hessian diag or kron): the tuned variables split into groups (lists of
  /// names), each with its own precision chosen by the evidence (laplace-torch's
  /// "layerwise" prior precision); every tuned variable in one group, and a Kronecker
  /// block's variables in the same one. Empty: one precision for all.
  std::vector<std::vector<std::string>> prior_groups = {};
  /// > 0: MacKay's evidence framework. After the post-hoc choice of the precisions, the mode
  /// is found again with the tuned priors at the chosen precisions, and they are chosen again
  /// there, up to this many times or until none moves by 1 % (the MAP then regularises as
  /// the evidence says, not as prior_precision did). 0: post hoc only (laplace-torch's).
  int evidence_iterations = 0;
  /// Non-empty: the mode is found with these precisions (one per prior group, or one) on
  /// the tuned priors instead of prior_precision; the evidence and q are as usual. What
  /// evidence_iterations sets; rarely given directly.
  std::vector<double> map_prior_precisions = {};
  /// Where the MAP search starts (flat, unconstrained); default the model's initial point.
  std::optional<Tensor> start = {};
  LbfgsOptions map = {.max_iters = 2000};
  /// Eigenvalues of the precision (full) or its diagonal entries (diag) below this are
  /// raised to it: the Hessian of a network at an inexact mode (or a saddle) need not be
  /// positive definite. With tuned priors the floor is at least the chosen prior precision:
  /// a direction the data say nothing about keeps the prior's curvature.
  double min_precision = 1e-8;
  int threads = 1;
};

struct LaplaceFit {
  std::unique_ptr<Approximation> q;
  /// The MAP search: mode, value (-log p with the model's priors), iterations, why it
  /// stopped; after evidence iterations the last mode's, with iterations and evaluations
  /// summed over all the searches.
  LbfgsResult map;
  /// log p(y) by Laplace: log p(z*, y) + D'/2 log 2 pi - 1/2 log det H over the estimated
  /// coordinates (with the chosen prior precision).
  double log_evidence = 0;
  double prior_precision = 0;   ///< chosen (or as given when nothing is tuned); the first group's
  std::vector<double> prior_precisions;  ///< chosen, one per group (empty when nothing is tuned)
  int evidence_iterations = 0;  ///< refits of the mode that evidence_iterations ran
  int64_t raised = 0;           ///< eigenvalues or diagonal entries raised to min_precision
  int64_t gradient_evaluations = 0;  ///< for the Hessian (the MAP's are in map.evaluations)
  int64_t kronecker_blocks = 0;      ///< hessian "kron": the blocks q holds
};

/// Fits the Laplace approximation. Throws InvalidArgument naming the option (an unknown
/// hessian, a subset or tuned name that is not a free variable, a model that draws
/// minibatches: the mode and Hessian need the full data) and NumericalError when log p or
/// its gradient is not finite at the start.
LaplaceFit fit_laplace(const Model& model, const LaplaceOptions& options = {});

}  // namespace elbo
ELBO_API_END
