#pragma once
// `elbo fit --checkpoint-every N` / `--resume FILE`: a fit saved mid-way so that it can be
// continued bitwise. A checkpoint is an ordinary model file (io::save_approximation:
// atomic, checksummed) whose approximation is the one at the checkpoint's step, so predict,
// evaluate and summary accept it too. Its metadata adds, under "elbo.checkpoint", JSON with
// what continuing needs that the approximation does not hold: the fit's command-line
// settings, the Inference state (step, loss history, optimizer state), the convergence
// test's state, and a checksum of the training data (see docs/CLI.md, "Checkpoints").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "elbo/io/saved_approximation.hpp"
#include "elbo/vi/inference.hpp"

namespace elbo::cli {

/// The metadata key of the checkpoint's state.
inline constexpr const char* checkpoint_metadata_key = "elbo.checkpoint";
/// Version of the JSON layout under that key. 3: the learning-rate annealing's state
/// (PlateauAnnealing::saved_state; absent in 2, whose fits ran at a constant rate). 2: the
/// convergence tests' saved states
/// (Callback::saved_state); 1 stored the parameter test's last check, and the ELBO test's
/// state is rebuilt from the loss history (still read).
inline constexpr int checkpoint_format_version = 3;

struct FitCheckpoint {
  nlohmann::json settings;      ///< the fit's flags, as `elbo fit` stores them
  Inference::State state;       ///< params are the saved approximation's
  std::vector<double> elbo_convergence;       ///< ElboConvergence::saved_state()
  std::vector<double> parameter_convergence;  ///< CheckParametersConvergence::saved_state()
  std::vector<double> annealing;              ///< PlateauAnnealing::saved_state(); format >= 3
  /// A format-1 checkpoint: elbo_convergence is not stored and must be rebuilt from the
  /// loss history (parameter_convergence is its "checked_params").
  bool elbo_convergence_from_history = false;
  std::string data_checksum;    ///< of the training table (data_checksum below)
  int64_t every = 0;            ///< --checkpoint-every
};

/// Base64 of the little-endian bytes of `values` (exact: NaN payloads and -0 survive).
std::string encode_doubles(const std::vector<double>& values);
/// The inverse. Throws FormatError naming `what` when `text` is not such a string.
std::vector<double> decode_doubles(std::string_view text, const std::string& what);

/// FNV-1a 64 of the column names and the values, in hex: equal for the same table.
std::string data_checksum(const std::vector<std::string>& columns, const std::vector<double>& values);

/// The JSON text stored under checkpoint_metadata_key (without the params, which are the
/// approximation's).
std::string to_json(const FitCheckpoint& checkpoint);

/// Reads the checkpoint part of a loaded file. Throws FormatError naming the file when the
/// metadata has no checkpoint or it is malformed, and sets state.params from `saved`.
FitCheckpoint checkpoint_from(const SavedApproximation& saved);

/// Removes the temporary files ("<path>.tmp.<pid>") that write_file_atomically leaves when a
/// process writing `path` is killed (SIGKILL, power loss) between creating and renaming
/// them; only those whose process no longer runs. Returns the names removed.
std::vector<std::string> remove_stale_temporaries(const std::string& path);

}  // namespace elbo::cli
