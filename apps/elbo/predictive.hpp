#pragma once
// The posterior predictive of a fitted network at new inputs, from S posterior draws, and
// what predict, evaluate and plot report from it. All in the target's original units.
#include <cstdint>
#include <span>
#include <vector>

#include "network_file.hpp"

namespace elbo::cli {

/// S draws of the network's output at `rows` inputs. Every row sees the same S posterior
/// draws (one set of weights per draw), whatever the number of rows.
struct PredictiveDraws {
  int64_t draws = 0, rows = 0;
  int64_t classes = 0;  ///< K for categorical, 1 otherwise
  /// bernoulli: logit of p(y = 1), categorical: logits [draws, rows, K], normal: the
  /// mean in target units; [draws, rows(, K)] row-major.
  std::vector<double> output;
  std::vector<double> sigma;  ///< normal: the noise sd in target units, [draws]
};

/// Draws the predictive at `features` [rows, F] (raw units; standardised here), `draws`
/// posterior draws from Philox(seed), on `threads` threads.
PredictiveDraws predictive_draws(LoadedNetwork& network, const Tensor& features, int64_t draws, uint64_t seed,
                                 int threads = 1);

/// Per-row summaries. Classification: probabilities (mean over draws) and their sd, the
/// label (argmax of the mean), predictive entropy H[mean p] and mutual information
/// H[mean p] - mean H[p_draw], both in nats.
struct ClassPrediction {
  int64_t classes = 0;            ///< K (2 for bernoulli)
  std::vector<double> prob, sd;   ///< [rows, K]
  std::vector<int64_t> label;     ///< [rows]
  std::vector<double> entropy, mutual_info;
};
ClassPrediction classify(const PredictiveDraws& d);
/// The labels classify(predictive_draws(network, features, draws, seed, threads)) gives
/// (argmax of the mean probability over the same draws), from the network's probabilities
/// as the program computes them, without the logits' copy, sd, entropy and mutual
/// information: `elbo fit`'s training accuracy, where those took most of the process's time
/// outside the fit. Probabilities in the network's float type: a row whose mean
/// probabilities tie to rounding may get the other label. Classification networks only.
std::vector<int64_t> predicted_labels(LoadedNetwork& network, const Tensor& features, int64_t draws, uint64_t seed,
                                      int threads = 1);

/// Regression: mean, sd and a central interval of the posterior predictive (a mixture of
/// N(mean_s, sigma_s^2) over the draws): sd^2 = mean sigma_s^2 + var mean_s, and lo, hi
/// the mixture's (1 - level)/2 and (1 + level)/2 quantiles.
struct Regression {
  std::vector<double> mean, sd, lo, hi;
};
Regression regress(const PredictiveDraws& d, double level);

/// log p(y_i | data) estimated as log mean_s p(y_i | draw s), per row (log-sum-exp).
std::vector<double> log_predictive_density(const PredictiveDraws& d, std::span<const double> y);

}  // namespace elbo::cli
