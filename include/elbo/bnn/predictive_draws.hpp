#pragma once
// Posterior draws of a network's last layer at new inputs, and of its likelihood's own
// parameters (a noise sd, degrees of freedom), in the target's original units: what a
// likelihood turns into probabilities, means, intervals and metrics.
#include <cstdint>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

struct Mlp;
class Likelihood;

/// The affine map from the target the network models to the target's own units:
/// y = mean + sd * y_model (identity unless the likelihood standardises its target).
struct TargetScale {
  double mean = 0, sd = 1;
};

/// S draws of the network's last layer at `rows` inputs. Every row sees the same S
/// posterior draws (one set of weights per draw), whatever the number of rows.
struct PredictiveDraws {
  int64_t draws = 0, rows = 0;
  int64_t outputs = 1;  ///< values per row: Likelihood::outputs()
  /// The likelihood's linear predictor (logit, logits, mean, log rate; a heteroscedastic
  /// likelihood's location and scale output), [draws, rows(, outputs)]
  /// row-major, in target units where the likelihood standardises its target.
  std::vector<double> output;
  /// One [draws] vector per likelihood parameter (Likelihood's parameter order), in
  /// target units.
  std::vector<std::vector<double>> parameters;

  double at(int64_t draw, int64_t row, int64_t k = 0) const {
    return output[static_cast<size_t>((draw * rows + row) * outputs + k)];
  }
};

/// Draws the predictive at `x` [rows, F] (already in the network's input space and
/// dtype): `draws` posterior draws from Philox(seed), on `threads` threads, in chunks of
/// rows that bound memory (every chunk sees the same draws).
PredictiveDraws draw_predictive(const Model& model, const Approximation& q, const Mlp& net,
                                const Likelihood& likelihood, const Tensor& x, int64_t draws, uint64_t seed,
                                int threads = 1, TargetScale scale = {});

/// The rows draw_predictive and mean_output run at once (their chunks of rows) for inputs
/// of `columns` features, `outputs` values per row and `draws` draws: a caller that cuts
/// its rows into blocks makes them a multiple of it, so that no block ends in a short chunk
/// (each chunk draws the weights again).
int64_t predictive_rows_per_run(const Model& model, const Approximation& q, int64_t columns, int64_t outputs,
                                int64_t draws);

/// The mean over `draws` posterior draws of the network's output deterministic (the
/// likelihood's probabilities or mean, as the program computes them, in the network's
/// dtype, summed in double) at `x`: [rows, K] row-major, in the network's target space
/// (standardised where the likelihood standardises). The same draws as draw_predictive
/// with the same seed. Cheaper than draw_predictive: `elbo fit`'s training score.
std::vector<double> mean_output(const Model& model, const Approximation& q, const Mlp& net, const Tensor& x,
                                int64_t draws, uint64_t seed, int threads = 1);

}  // namespace elbo
ELBO_API_END
