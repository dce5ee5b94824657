#pragma once
// `elbo fit --recipe`: what a fit does with the flags it was not given (docs/CLI.md,
// "Recipes"; the measurements behind them: docs/QUALITY.md).
//
// - `ensemble` (the default): a real-valued target gets the heteroscedastic Student-t
//   likelihood; the methods that minimise the ELBO's KL part choose its weight on a
//   validation part of the training rows (--beta auto) after a KL warm-up (--kl-warmup);
//   advi and fullrank_advi fit several members and keep their mixture (--ensemble). On the
//   UCI regression benchmark this is the recipe whose test log-likelihood beats MC
//   dropout's on four of five sets; on digits it reaches 97.8-98.1 % with ECE <= 0.017.
// - `single`: one fit at the ELBO's weight 1 with a normal likelihood for a real target:
//   PyMC's and NumPyro's ADVI, and the fastest.
//
// A flag given on the command line always wins over the recipe, and a part of the recipe
// that a fit cannot take (an ensemble of svgd, a warm-up without a KL part, a data-parallel
// fit, a checkpointed fit or one with a time limit: the recipe's other fits would not be
// checkpointed, nor within the limit) is left out, as resolve_fit_recipe says.
#include <cstdint>
#include <string>
#include <vector>

namespace elbo::cli {

/// What the recipe's choices depend on: the fit's flags, and which of them were given.
struct FitRecipeRequest {
  std::string recipe;     // "ensemble" or "single"
  std::string method;     // --method
  std::string objective;  // --objective
  bool data_parallel = false;
  bool checkpointed = false;  // --checkpoint or --checkpoint-every (a resumed fit has no recipe)
  bool time_limited = false;  // --time-limit: a budget for one fit
  int64_t step_cap = 0;       // --iters when given, else --max-iters
  bool likelihood_given = false, beta_given = false, kl_warmup_given = false, ensemble_given = false;
};

/// The values the recipe gives the flags that were not given (those that were keep theirs).
struct FitRecipe {
  bool robust_likelihood = false;  // a real target: heteroscedastic Student-t, not normal
  bool beta_auto = false;          // --beta auto
  int64_t kl_warmup = 0;           // --kl-warmup
  int64_t ensemble = 1;            // --ensemble
  /// The parts of the recipe left out, and why ("no ensemble: svgd fits no mixture"...).
  std::vector<std::string> left_out;
};

/// The recipe's names, the default first.
const std::vector<std::string>& fit_recipe_names();

/// The recipe's choices for a fit (a pure function of the request).
FitRecipe resolve_fit_recipe(const FitRecipeRequest& request);

}  // namespace elbo::cli
