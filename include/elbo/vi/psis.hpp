#pragma once
// Pareto-smoothed importance sampling (PSIS; Vehtari, Simpson, Gelman, Yao & Gabry,
// "Pareto Smoothed Importance Sampling", JMLR 2024, arXiv:1507.02646): from the log
// importance ratios log p(z_s) - log q(z_s) of draws z_s ~ q, the smoothed, normalised log
// weights, the shape k̂ of the generalised Pareto distribution fitted to the largest
// ratios, and the effective sample size of the smoothed weights.
//
// k̂ says how far the approximation can be trusted (Yao, Vehtari, Simpson & Gelman 2018,
// "Yes, but did it work?"): the ratios have finite moments of order < 1/k, so
//   k̂ < 0.5        good: the importance-sampling estimates converge fast;
//   0.5 <= k̂ < 0.7 usable: finite variance no longer holds, but PSIS estimates are reliable;
//   k̂ >= 0.7       do not trust the approximation (or estimates reweighted from it).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

struct PsisResult {
  /// The Pareto shape estimate of the ratios' upper tail (with the weakly informative prior
  /// of the paper's Appendix C). -inf when the ratios in the tail are all equal (q matches
  /// p up to a constant there).
  double khat = 0;
  /// The generalised Pareto scale fitted to the tail's exceedances (weights relative to the
  /// largest, which is 1).
  double sigma = 0;
  /// How many of the largest ratios were smoothed: ceil(min(S / 5, 3 sqrt(S))).
  int64_t tail_length = 0;
  /// 1 / sum w_s^2 of the normalised smoothed weights: between 1 and S.
  double ess = 0;
  /// log w_s, smoothed and normalised (logsumexp = 0), in the order of the input.
  std::vector<double> log_weights;
};

/// PSIS of S >= 25 log importance ratios. -inf ratios (draws where p is 0) are allowed and
/// keep weight 0. Throws InvalidArgument naming the argument and the index for a NaN or
/// +inf ratio, and when S < 25 (the tail, ceil(S / 5) ratios there, must hold 5 for the fit).
PsisResult psis(std::span<const double> log_ratios);

/// The generalised Pareto fit alone (Zhang & Stephens 2009, with the prior on k of the PSIS
/// paper): shape and scale of sorted positive exceedances x_1 <= ... <= x_n (n >= 5).
struct ParetoFit {
  double k = 0;
  double sigma = 0;
};
ParetoFit fit_generalized_pareto(std::span<const double> sorted_exceedances);

/// The meaning of k̂ in words, for messages: "good", "usable" or "do not trust" (the
/// thresholds above; NaN is "do not trust").
std::string khat_verdict(double khat);

/// Below this k-hat the importance weights can be trusted ("usable" or "good"; Vehtari et
/// al.'s 0.7): what PSIS-corrected draws and multi-path Pathfinder's resampling ask of it.
inline constexpr double kTrustedKhat = 0.7;

}  // namespace elbo
ELBO_API_END
