#pragma once
// The posterior predictive of data of any size in bounded memory: `elbo predict`,
// `evaluate` and `plot` read their data a block of rows at a time (TableBlocks), draw the
// block's predictive (predictive_draws) and summarise it on every thread, the block's rows
// split into one part per thread; only the summaries (a few numbers per row) outlive the
// block. A row's summary depends on the draws of that row alone (every block sees the same
// posterior draws), so the blocks change no result.
#include <cstdint>
#include <exception>
#include <functional>
#include <type_traits>
#include <vector>

#include "elbo/bnn/likelihood.hpp"
#include "elbo/bnn/predictive_draws.hpp"
#include "network_file.hpp"

namespace elbo::cli {

/// The most bytes of one block's draws (draws x rows x outputs doubles). While they are
/// drawn, draw_predictive's own bounds hold beside them (the weights' draws in flight and
/// the network's values: 96 + 96 MB), with the block's data (kDataBlockBytes): 256 MB
/// beyond the model (docs/CLI.md). Once drawn, they are copied into their parts (as much
/// again) while draw_predictive's memory is gone.
inline constexpr int64_t kPredictiveBlockBytes = int64_t{48} << 20;
/// The most bytes of data one block holds: the file's rows as read, the features and the
/// model's inputs (about four doubles per column and row).
inline constexpr int64_t kDataBlockBytes = int64_t{16} << 20;

/// Rows per block for data of `columns` columns and `draws` posterior draws of network `n`
/// (one draw for a probit predictive): within both bounds above, at least one.
int64_t predictive_block_rows(const LoadedNetwork& n, int64_t columns, int64_t draws);

/// predictive_draws of `features` [rows, F] split into up to `threads` parts of consecutive
/// rows (a part's first row in `features` in `first`): a draw of a row is the same in its
/// part as in the whole.
std::vector<PredictiveDraws> predictive_parts(const LoadedNetwork& n, const Tensor& features, int64_t draws,
                                              uint64_t seed, int threads, std::vector<int64_t>& first);

/// Runs task(i) for i in [0, tasks), each on a thread of its own (the first on the caller's);
/// rethrows the first exception in task order after all have finished.
void run_each_on_a_thread(size_t tasks, const std::function<void(size_t)>& task);

/// The summaries of the predictive of one block of rows, in row order: summarize(first, part)
/// of each of predictive_parts' parts, each on a thread of its own. `summarize` must be
/// safe to call from several threads at once (the likelihoods' methods are: they only read).
template <class Summarize>
auto summarize_predictive(const LoadedNetwork& n, const Tensor& features, int64_t draws, uint64_t seed, int threads,
                          Summarize summarize) {
  using Summary = std::invoke_result_t<Summarize, int64_t, const PredictiveDraws&>;
  std::vector<int64_t> first;
  const std::vector<PredictiveDraws> parts = predictive_parts(n, features, draws, seed, threads, first);
  std::vector<Summary> out(parts.size());
  run_each_on_a_thread(parts.size(), [&](size_t i) { out[i] = summarize(first[i], parts[i]); });
  return out;
}

/// `elbo predict`'s table at raw `features` [rows, F] in memory, block by block of rows:
/// the likelihood's predictions, the central interval of probability `level`.
PredictionTable prediction_table(const LoadedNetwork& n, const Tensor& features, int64_t draws, uint64_t seed,
                                 double level, int threads);

}  // namespace elbo::cli
