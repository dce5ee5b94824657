#pragma once
// The defaults of `elbo fit`, chosen by measurement on small tabular problems (moons, a
// 3-class problem, a 1-D regression); the numbers behind them are in docs/CLI.md.
#include <cstdint>

namespace elbo::cli::fit_defaults {

inline constexpr const char* optimizer = "adam";
inline constexpr double learning_rate = 0.01;
/// The approximation's initial sigma for every coordinate (--init-scale). PyMC's
/// softplus(0) = ln 2 is as wide as the weights themselves: the noise it injects keeps small
/// networks near the prior (a sine regression's RMSE 0.45 instead of 0.195). 0.05 was the
/// best of 0.02..ln 2 at a constant rate (docs/CLI.md, "Defaults"); with the annealed rate
/// 0.003 is better than 0.05 on four of the five UCI sets and level on wine, and level on
/// moons and digits (docs/QUALITY.md).
inline constexpr double start_sigma = 0.003;
/// Initial weight means: seeded N(0, 1) draws times min(1, init_gain / sqrt(fan_in)).
inline constexpr double init_gain = 2.0;
/// Fitting until converged: at most this many steps. A safeguard: the annealed rate's
/// plateau test ends a fit first (after 20,000 steps at least; 23,000-44,000 on the UCI
/// sets), and --time-limit bounds the time. With --lr-schedule constant, convergence is
/// tested...
inline constexpr int64_t max_iters = 100000;
/// ...every eval_every steps the relative change of the mean loss of the last
/// eval_every steps (Stan's test; stop when the mean or median of the last `buffer`
/// changes is below tol_rel_obj) and the relative change of the variational parameters.
inline constexpr int64_t eval_every = 100;
inline constexpr double tol_rel_obj = 0.001;
inline constexpr int64_t buffer = 10;
inline constexpr double tol_params = 1e-3;
/// --lr-schedule plateau (elbo/vi/plateau_annealing.hpp): windows of this many steps, the
/// windows without a gain before a cut by half, and the cuts before a plateau ends the fit
/// (the measurements behind them: docs/QUALITY.md).
inline constexpr int64_t anneal_window = 1000;
inline constexpr int64_t anneal_patience = 3;
inline constexpr int64_t anneal_cuts = 4;
/// --recipe ensemble (fit_recipe.hpp): the members of an advi or fullrank_advi fit, and the
/// KL warm-up's steps (at most a quarter of the step cap). The recipe W of docs/QUALITY.md:
/// five members; a warm-up of 5000 steps, a quarter of the shortest annealed fit.
inline constexpr int64_t recipe_members = 5;
inline constexpr int64_t recipe_kl_warmup = 5000;
/// Posterior draws for the training-fit line that fit prints.
inline constexpr int64_t report_draws = 200;  // at most: fewer after a short fit (cmd_fit.cpp, plan_post_fit)
inline constexpr int64_t min_report_draws = 10;
/// Draws for the PSIS k-hat that fit computes after the fit (elbo/vi/approximation_check.hpp):
/// 1000 evaluations of the full-data log density, about the forward passes of 1000
/// full-batch steps; its standard error is about 0.05 for k-hat near 0.5 (a tail of 95).
inline constexpr int64_t psis_draws = 1000;  // at most, by default: fewer after a short fit
inline constexpr int64_t min_psis_draws = 100;  // by default; when fewer are affordable k-hat is skipped

}  // namespace elbo::cli::fit_defaults
