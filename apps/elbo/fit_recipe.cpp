// fit_recipe.hpp.
#include "fit_recipe.hpp"

#include <algorithm>

#include "fit_defaults.hpp"

namespace elbo::cli {

const std::vector<std::string>& fit_recipe_names() {
  static const std::vector<std::string> names = {"ensemble", "single"};
  return names;
}

FitRecipe resolve_fit_recipe(const FitRecipeRequest& r) {
  FitRecipe out;
  if (r.recipe != "ensemble") return out;
  out.robust_likelihood = !r.likelihood_given && !r.data_parallel;
  // The methods whose objective has a KL part to weigh (the --beta flag's).
  const bool kl_method = r.method == "advi" || r.method == "fullrank_advi" || r.method == "lowrank_advi" ||
                         r.method == "nfvi";
  const bool weighs_kl = kl_method && r.objective == "kl";
  if (!weighs_kl) {
    if (!r.beta_given || !r.kl_warmup_given)
      out.left_out.push_back(kl_method ? "no --beta auto or KL warm-up: the objective " + r.objective +
                                             " has no KL part to weigh"
                                       : "no --beta auto or KL warm-up: --method " + r.method +
                                             " minimises no KL part");
  } else {
    if (!r.kl_warmup_given) out.kl_warmup = std::min(fit_defaults::recipe_kl_warmup, r.step_cap / 4);
    if (!r.beta_given) {
      if (r.data_parallel)
        out.left_out.push_back("no --beta auto: a data-parallel fit has no validation part (every row is in one "
                               "process only)");
      else if (r.checkpointed)
        out.left_out.push_back("no --beta auto: a checkpointed fit is one fit (the candidates are not "
                               "checkpointed)");
      else if (r.time_limited)
        out.left_out.push_back("no --beta auto: --time-limit is the budget of one fit");
      else
        out.beta_auto = true;
    }
  }
  if (!r.ensemble_given) {
    if (r.method != "advi" && r.method != "fullrank_advi")
      out.left_out.push_back("no ensemble: --method " + r.method + " fits one approximation");
    else if (r.data_parallel)
      out.left_out.push_back("no ensemble: a data-parallel fit is one fit");
    else if (r.checkpointed)
      out.left_out.push_back("no ensemble: a checkpointed fit is one fit (members are not checkpointed)");
    else if (r.time_limited)
      out.left_out.push_back("no ensemble: --time-limit is the budget of one fit");
    else
      out.ensemble = fit_defaults::recipe_members;
  }
  return out;
}

}  // namespace elbo::cli
