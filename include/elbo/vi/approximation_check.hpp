#pragma once
// How far a fitted approximation can be trusted: PSIS k̂ of q against the model's posterior
// (Yao, Vehtari, Simpson & Gelman 2018). Draws z_s ~ q, computes the log importance ratios
// log p(z_s, y) - log q(z_s) with the model's compiled log density on the program's
// threads, and smooths them (elbo/vi/psis.hpp). The mean of the ratios is an ELBO estimate.
#include <cstdint>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"
#include "elbo/vi/psis.hpp"

ELBO_API_BEGIN
namespace elbo {

struct ApproximationCheckOptions {
  /// Draws from q. k̂ from 1000 draws separates good from bad fits; its standard error
  /// shrinks like 1/sqrt(tail length) = 1/sqrt(3 sqrt(draws)).
  int64_t draws = 1000;
  /// The draws are a pure function of (seed, draw index): the result does not depend on
  /// `threads` or on how the draws are split into chunks.
  uint64_t seed = 0;
  /// Threads of the log-density program (as ProgramOptions::threads).
  int threads = 1;
  /// Data containers of the model that hold one row per data row, all with the same row
  /// count (a network's x and y). When given, log p is summed over chunks of their rows in
  /// row order, each run's values within 96 MB, so that the check's memory does not grow
  /// with the data; every observed variable must then observe one of them and not set
  /// total_size (InvalidArgument otherwise). Empty:
  /// every row in one run (as before; the same bits when the rows fit in one chunk).
  std::vector<Expr> row_data = {};
};

struct ApproximationCheck {
  PsisResult psis;
  int64_t draws = 0;
  /// log p(z_s, y) - log q(z_s) of each draw, before smoothing.
  std::vector<double> log_ratios;
  /// Their mean: a Monte Carlo estimate of the ELBO on the full data.
  double elbo = 0;
  /// Runs of log p per group of draws: the chunks of rows (1 without row_data).
  int64_t row_chunks = 1;
};

/// PSIS k̂ of `q` fitted to `model`. The model must hold all its data: one with minibatch
/// sources would give a noisy log p, so it is refused (InvalidArgument) — build the model on
/// the full data for the check. Throws InvalidArgument for draws < 25 or a q of another
/// dimension than the model's, and NumericalError naming the draw when a log ratio is NaN
/// or +inf.
ApproximationCheck check_approximation(const Model& model, const Approximation& q,
                                       const ApproximationCheckOptions& options = {});

/// Draw `index` of check_approximation(model, q, {.seed = seed}) in q's unconstrained space,
/// written to z[0, q.dim()): the draw whose log ratio is log_ratios[index], made again
/// without keeping every draw (importance resampling picks a few of many).
void approximation_check_draw(const Approximation& q, uint64_t seed, int64_t index, double* z);

}  // namespace elbo
ELBO_API_END
