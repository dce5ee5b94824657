#pragma once
// Variational inference on a model (PyMC's OPVI "inference"): an approximation, the
// negative-ELBO objective estimated by reparameterisation with obj_n_mc draws per step
// (one S-batched program), an optimizer, and the fit loop with its loss history.
// fit(n) continues where the last call stopped (PyMC's refine): same optimizer state,
// same random stream, same history.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"
#include "elbo/vi/callback.hpp"
#include "elbo/vi/communicator.hpp"
#include "elbo/vi/objective.hpp"
#include "elbo/vi/optimizer.hpp"
#include "elbo/vi/progress_bar.hpp"
#include "elbo/vi/schedule.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Data-parallel fitting (InferenceOptions::data_parallel): the rows of the model's data are
/// cut into blocks of `block_rows` counted from the first row of the whole data set; this
/// process holds the consecutive blocks from `first_block` on (its data containers named in
/// `row_data` hold exactly their rows). Every step evaluates log p block by block, adds the
/// blocks' gradients and log-likelihoods in fixed point (exact_sum.hpp) and sums them over
/// the processes with one allreduce_sum; block 0 carries the prior. Every process draws the
/// same noise from the shared seed and makes the same update, so each holds the same
/// approximation, and the bits do not depend on the number of processes or their shares.
/// The model itself may not draw minibatches or set total_size: with batch_rows > 0 the fit
/// draws each step's batch_rows rows (with replacement, from Philox(batch_seed) at the
/// step's index, as pm.Minibatch does) out of all total_rows; each process runs the drawn
/// rows of its blocks, block by block, and the sums are scaled by total_rows / batch_rows.
struct DataParallelOptions {
  std::shared_ptr<Communicator> communicator = nullptr;  ///< null: not data-parallel
  std::vector<std::string> row_data = {};                ///< containers whose rows are split
  int64_t block_rows = 1024;
  int64_t first_block = 0;
  int64_t batch_rows = 0;   ///< 0: full batch
  int64_t total_rows = 0;   ///< rows over all processes (minibatches only)
  uint64_t batch_seed = 0;  ///< minibatches only
};

struct InferenceOptions {
  uint64_t seed = 0;
  OptimizerOptions optimizer = {};
  int threads = 1;
  /// Initial mean in unconstrained space, flat [D]; default: the model's initial point.
  std::optional<Tensor> start = std::nullopt;
  /// MeanField and LowRank: initial sigma for every coordinate (0: softplus(0) = ln 2).
  double start_sigma = 0;
  /// LowRank (method "lowrank_advi"): the rank K of its factor; 0 picks NumPyro's
  /// default, round(sqrt(D)).
  int64_t rank = 0;
  /// NormalizingFlow (method "nfvi"): the flow formula (flow_formula.hpp); empty: PyMC's
  /// default "scale-loc".
  std::string flow = {};
  /// SVGD: the number of particles, started at the initial point plus jitter * N(0, 1)
  /// (PyMC's SVGD defaults: 100 and 1); SVGD and ASVGD: the Stein temperature.
  int64_t particles = 100;
  double jitter = 1.0;
  double temperature = 1.0;
  /// Data-parallel fitting over processes (see DataParallelOptions); off by default.
  DataParallelOptions data_parallel = {};
  /// Data containers whose rows hold the likelihood's terms (row_data.hpp): a step of one
  /// draw runs log p in blocks of their rows on the threads once there are enough rows
  /// (LogpProgram::split_rows; the blocks follow from the row count, so a fit gives the
  /// same bits for any thread count). Full-batch models only; empty: no split.
  std::vector<std::string> row_data = {};
};

struct FitOptions {
  /// PyMC's cost_part_grad_scale: 1 is the standard estimator, 0 "sticking the landing".
  double cost_part_grad_scale = 1.0;
  /// Monte Carlo draws per step for the gradient (PyMC's obj_n_mc); the particles K of
  /// the Renyi and IWAE objectives.
  int64_t obj_n_mc = 1;
  /// What is minimised (objective.hpp): unset, the inference's own (the negative ELBO for
  /// the ADVIs and NFVI, the Stein direction for SVGD and ASVGD); or a Renyi / IWAE bound
  /// (which needs beta = 1).
  std::optional<Objective> objective = std::nullopt;
  /// Weight of the KL part (PyMC's KLqp beta).
  double beta = 1.0;
  /// KL warm-up (Bowman et al. 2016, Sonderby et al. 2016): over the first kl_warmup steps
  /// of the inference (counted by step(), so a resumed fit continues the ramp) the KL part's
  /// weight rises linearly, beta * t / kl_warmup at step t = 1, 2, ..., and stays at beta
  /// after; the losses of those steps are of the objective with that weight. 0: no warm-up.
  int64_t kl_warmup = 0;
  std::vector<std::shared_ptr<Callback>> callbacks = {};
  std::shared_ptr<LearningRateSchedule> schedule = nullptr;
  /// Show PyMC's progress bar and closing line ("Finished [100%]: Average Loss = ...").
  bool progressbar = true;
  /// Where the progress bar writes; the default (empty `write`) is standard error,
  /// animated when it is a terminal (stderr_progress_sink()).
  ProgressSink progress_sink = {};
  /// Skip steps whose loss or gradient is not finite instead of stopping (NumPyro's
  /// stable_update); the skipped losses still enter the history.
  bool skip_nonfinite = false;
};

/// How the last fit call ended.
struct FitReport {
  int64_t steps = 0;         ///< steps completed in that call
  bool interrupted = false;  ///< SIGINT (Ctrl-C)
  bool stopped = false;      ///< a callback stopped it
  std::string reason;
  int64_t skipped = 0;  ///< non-finite steps skipped (skip_nonfinite)
};

class Inference {
 public:
  Inference(const Model& model, std::unique_ptr<Approximation> approximation, InferenceOptions options);
  virtual ~Inference();

  /// Runs n more steps. Throws NumericalError naming the step, the variable and index if
  /// the loss or a gradient becomes NaN or inf (unless skip_nonfinite); the approximation
  /// then keeps its last finite state.
  const Approximation& fit(int64_t n, const FitOptions& options = {});

  /// Stan's step-size adaptation: tries eta in {100, 10, 1, 0.1, 0.01} as the learning
  /// rate for adapt_iter steps each, every time from the current state, keeps the eta with
  /// the best ELBO and stops early once the ELBO gets worse. Sets the optimizer's rate to
  /// it and returns it; the approximation, history and step count are left unchanged.
  /// Throws NumericalError when every candidate diverges.
  double adapt_step_size(int64_t adapt_iter = 50, const FitOptions& options = {});

  const Approximation& approximation() const;
  Approximation& approximation();
  /// The loss of every step so far (PyMC's inference.hist), on the minibatch scale.
  const std::vector<double>& hist() const;
  /// Steps done over all fit calls.
  int64_t step() const;
  const FitReport& last_fit() const;
  Optimizer& optimizer();
  const Model& model() const;
  uint64_t seed() const;
  const InferenceOptions& options() const;

  /// Everything needed to resume bitwise: step, history, variational and optimizer state.
  struct State {
    int64_t step = 0;
    std::vector<double> hist, params, optimizer;
  };
  State state() const;
  void set_state(const State& state);

 protected:
  /// The objective fit() uses when FitOptions::objective is unset (kl unless set here).
  void set_default_objective(const Objective& objective);

 private:
  // The objective's compiled program, the optimizer, the history and the per-step
  // buffers: nothing a caller may touch, so nothing a caller's build depends on.
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Mean-field ADVI (pm.ADVI).
class ADVI : public Inference {
 public:
  explicit ADVI(const Model& model, InferenceOptions options = {});
};

/// Full-rank ADVI (pm.FullRankADVI).
class FullRankADVI : public Inference {
 public:
  explicit FullRankADVI(const Model& model, InferenceOptions options = {});
};

/// Low-rank plus diagonal ADVI (NumPyro's AutoLowRankMultivariateNormal), rank from
/// options.rank.
class LowRankADVI : public Inference {
 public:
  explicit LowRankADVI(const Model& model, InferenceOptions options = {});
};

/// Normalizing-flow VI (pm.NFVI) with the flow options.flow.
class NFVI : public Inference {
 public:
  explicit NFVI(const Model& model, InferenceOptions options = {});
};

/// Stein variational gradient descent (pm.SVGD): options.particles particles (Empirical)
/// moved along the Stein direction at options.temperature.
class SVGD : public Inference {
 public:
  explicit SVGD(const Model& model, InferenceOptions options = {});
};

/// Amortized SVGD (pm.ASVGD): a mean-field family trained with the Stein direction at
/// FitOptions::obj_n_mc draws per step (PyMC uses 500).
class ASVGD : public Inference {
 public:
  explicit ASVGD(const Model& model, InferenceOptions options = {});
};

/// An inference by method name: "advi", "fullrank_advi", "lowrank_advi", "nfvi", "svgd"
/// or "asvgd".
std::unique_ptr<Inference> make_inference(const Model& model, const std::string& method,
                                          InferenceOptions options = {});

/// pm.fit: makes the inference, runs n steps, and returns it (it owns the approximation
/// and the history).
std::unique_ptr<Inference> fit(const Model& model, int64_t n, const std::string& method = "advi",
                               InferenceOptions options = {}, const FitOptions& fit_options = {});

}  // namespace elbo
ELBO_API_END
