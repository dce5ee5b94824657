#pragma once
// Limited-memory BFGS (Nocedal & Wright, "Numerical Optimization", 2nd ed., algorithms 7.4
// and 7.5) with a line search for the strong Wolfe conditions (their algorithms 3.5 and 3.6),
// minimising a smooth function of a flat vector. Laplace's MAP fit uses it, and Pathfinder
// reads its path: every accepted iterate with its gradient (on_iterate).
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

struct LbfgsOptions {
  int64_t max_iters = 1000;
  /// Correction pairs kept (Stan's `history_size` is 5, Pathfinder's J 6).
  int history = 6;
  /// Stop when every |gradient| is below this (Stan's tol_grad).
  double tol_grad = 1e-8;
  /// Stop when an iteration lowers f by less than tol_rel_obj * max(|f|, |f_new|, 1)
  /// (Stan's tol_rel_obj of 1e4 times the machine epsilon).
  double tol_rel_obj = 1e4 * 2.220446049250313e-16;
  /// Function evaluations one line search may take before it gives up.
  int max_line_search_evals = 40;
};

/// One accepted point of the path.
struct LbfgsIterate {
  int64_t iteration = 0;  ///< 0 is the start
  std::span<const double> x, grad;
  double value = 0;
};

struct LbfgsResult {
  std::vector<double> x, grad;
  double value = 0;
  int64_t iterations = 0;
  int64_t evaluations = 0;
  bool converged = false;  ///< a tolerance was met (not the iteration cap or a failed search)
  std::string reason;      ///< why it stopped, in words
};

/// f(x, grad) returns f at x and writes its gradient into grad. It may return +inf or NaN
/// where f is not defined: the line search then shortens the step.
using LbfgsObjective = std::function<double(std::span<const double> x, std::span<double> grad)>;

/// Minimises f from x0. Throws InvalidArgument naming the option for bad options and
/// NumericalError when f or its gradient is not finite at x0.
LbfgsResult lbfgs_minimize(const LbfgsObjective& f, std::span<const double> x0, const LbfgsOptions& options = {},
                           const std::function<void(const LbfgsIterate&)>& on_iterate = {});

}  // namespace elbo
ELBO_API_END
