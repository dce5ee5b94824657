#pragma once
// Pathfinder (Zhang, Carpenter, Gelman & Vehtari 2022, "Pathfinder: Parallel quasi-Newton
// variational inference", JMLR 23): L-BFGS on -log p from a start point; at every point of
// its path a normal approximation N(theta + H grad log p, H) with H the L-BFGS inverse
// Hessian (a diagonal from Gilbert & Lemarechal's update plus the rank-2J correction of the
// last J pairs, Byrd, Nocedal & Schnabel 1994); the one with the largest ELBO estimate (K
// draws) is the single path's result. Multi-path Pathfinder runs several paths from given or
// random starts, pools draws from each path's normal, smooths their importance weights with
// PSIS and resamples them by those weights, or (where the weights' k-hat says not to trust
// them) keeps the paths' draws with equal weight.
//
// Paths run on the threads given, each on its own compiled program and random stream (the
// path's index), so results do not depend on the thread count.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"
#include "elbo/vi/lbfgs.hpp"
#include "elbo/vi/psis.hpp"

ELBO_API_BEGIN
namespace elbo {

/// What multi-path Pathfinder returns from its pooled draws.
enum class PathfinderResampling {
  psis,       ///< resample them by their Pareto-smoothed importance weights (Stan's default)
  pooled,     ///< `draws` of the successful paths' draws, the paths in turn, equal weight (like
              ///< Stan's psis_resample = false, which returns all of them)
  automatic,  ///< psis when its k-hat is below 0.7 (the weights can be trusted), else (or NaN) pooled
};

/// "auto", "psis" or "pooled" (the command line's and Python's names); InvalidArgument
/// naming `resampling` otherwise.
PathfinderResampling pathfinder_resampling(const std::string& name);

struct PathfinderOptions {
  /// Paths; 1 is single-path Pathfinder (q is the best normal), more is multi-path (q is
  /// draws from the paths' normals, `resampling`). Stan's default is 4.
  int paths = 4;
  /// The starts of paths 0 .. starts.size() - 1 (at most `paths`); every other path starts
  /// at uniform(-init_radius, init_radius) draws in the unconstrained space (Stan's default
  /// 2). A network's own initial weights are the better starts (docs/DIAGNOSTICS.md).
  std::vector<Tensor> starts = {};
  double init_radius = 2.0;
  /// L-BFGS: its history is the J of the inverse Hessian (Pathfinder.jl's 6 pairs, the
  /// paper's tolerances).
  LbfgsOptions lbfgs = {.max_iters = 1000, .history = 6, .tol_rel_obj = 1e-13};
  /// Draws per ELBO estimate along the path (Stan's num_elbo_draws, 25; the paper's K is
  /// 5). The same draws serve every point of a path (common random numbers).
  int64_t elbo_draws = 25;
  /// Draws taken from each path's best normal for multi-path's importance weights, and the
  /// number of draws q keeps (Stan's 1000 each; also a single path's draws above 5000
  /// parameters).
  int64_t draws_per_path = 1000;
  int64_t draws = 1000;
  /// Multi-path only. PSIS resampling with a k-hat of 0.7 or more keeps a handful of
  /// distinct draws (an ESS of 2-4 of 4000 on a small network), so the default falls back to
  /// the equal-weight mixture of the paths there (docs/DIAGNOSTICS.md).
  PathfinderResampling resampling = PathfinderResampling::automatic;
  uint64_t seed = 0;
  int threads = 1;
  /// false: no q (PathfinderFit::q is null), only the paths and their best means, as an
  /// initialisation needs; any model size then works with one path.
  bool make_q = true;
};

struct PathfinderPath {
  int64_t iterations = 0;      ///< L-BFGS iterations (the path has iterations + 1 points)
  int64_t best_iteration = 0;  ///< where the ELBO estimate was largest
  double best_elbo = 0;
  int64_t evaluations = 0;     ///< of log p and its gradient: L-BFGS's and the ELBO draws'
  int64_t rejected_updates = 0;  ///< pairs without positive curvature, left out of H
  std::string stopped;         ///< why L-BFGS stopped
  std::vector<double> best_mean;  ///< the mean of the best normal ([D]; empty when none was finite)
};

struct PathfinderFit {
  /// paths == 1: the best normal as a FullRank q up to 5000 parameters, above that `draws`
  /// draws from it as an Empirical q (Stan's single-path output); paths > 1: the resampled
  /// or pooled draws (`resampled`) as an Empirical q (particles, no density).
  std::unique_ptr<Approximation> q;
  std::vector<PathfinderPath> paths;
  /// paths > 1: PSIS of the pooled draws' log p - log q (its k-hat says whether their
  /// importance weights can be trusted); one path above 5000 parameters: that of its draws.
  std::optional<PsisResult> psis;
  /// paths > 1: whether q is the PSIS-resampled draws (else the pooled draws, equal weight).
  bool resampled = false;
};

/// Runs Pathfinder. Throws InvalidArgument naming the option, or for a model that draws
/// minibatches; NumericalError when no path finds a finite ELBO.
PathfinderFit fit_pathfinder(const Model& model, const PathfinderOptions& options = {});

}  // namespace elbo
ELBO_API_END
