// `elbo fit`: an MLP Bayesian neural network fitted by ADVI to a CSV or NPY file, saved
// with everything `elbo predict` needs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "checkpoint.hpp"
#include "commands.hpp"
#include "concurrent_fits.hpp"
#include "core_count.hpp"
#include "data_loading.hpp"
#include "elbo/data/standardizer.hpp"
#include "elbo/io/approximation_file.hpp"
#include "elbo/bnn/kronecker_factors.hpp"
#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/data/atomic_file.hpp"
#include "elbo/data/table.hpp"
#include "elbo/vi/approximation_check.hpp"
#include "elbo/vi/callback.hpp"
#include "elbo/vi/inference.hpp"
#include "elbo/vi/laplace.hpp"
#include "elbo/vi/mixture.hpp"
#include "elbo/vi/pathfinder.hpp"
#include "elbo/vi/plateau_annealing.hpp"
#include "elbo/vi/psis.hpp"
#include "elbo/vi/optimizer.hpp"
#include "elbo/mpi/mpi_communicator.hpp"
#include "row_share.hpp"
#include "fit_defaults.hpp"
#include "fit_recipe.hpp"
#include "khat_text.hpp"
#include "metric_text.hpp"
#include "network_file.hpp"
#include "option_checks.hpp"
#include "report_lines.hpp"
#include "usage_error.hpp"
#include "validation_part.hpp"

namespace elbo::cli {

namespace {

struct FitFlags {
  std::string train, out, target;
  std::string likelihood;  // "" = infer
  std::string hidden = "5,5", activation = "tanh";
  bool bias = true;
  double prior_sd = 1.0;
  // "fixed": N(0, prior_sd); "evidence": the sd the Laplace evidence chooses from the
  // training data (choose_prior_scale), written back to prior_sd before the fit.
  std::string prior_scale = "fixed";
  std::string prior = "normal";  // "normal" or "hierarchical" (MlpOptions::prior)
  std::string method = "advi", optimizer = fit_defaults::optimizer;
  int64_t rank = 0;      // lowrank_advi; 0: the library's default
  std::string flow;      // nfvi; "": the library's default
  std::string objective = "kl";  // kl, renyi:ALPHA or iwae:K
  int64_t particles = 100;       // svgd: particles; asvgd: draws per step
  std::string hessian;  // laplace: "full", "diag" or "kron"; "": full up to kLaplaceFullLimit parameters, else kron
  std::string prior_structure = "scalar";  // laplace: "scalar" or "layerwise" (a prior precision per layer)
  int evidence_iterations = 0;             // laplace: refits of the mode under the evidence's precisions
  std::string predictive;  // laplace: "linearised", "probit" or "sampled"; "": linearised over all weights, else sampled
  std::string subset = "last_layer";  // laplace: "all" or "last_layer" (laplace-torch's default)
  int paths = 4;                      // pathfinder: paths (Stan's default)
  std::string resampling = "auto";    // pathfinder, several paths: psis, pooled or auto
  std::string init = "default";       // step methods: "default" or "pathfinder"
  std::string loss_history;           // step methods: CSV of every step's loss, "" = none
  double beta = 1.0;                  // the ELBO's KL weight (PyMC's KLqp beta); below 1 tempers q
  std::string beta_text = "1";        // --beta as given: a number or "auto"
  bool beta_auto = false;             // --beta auto: chosen on a validation part (choose_beta)
  nlohmann::json beta_selection;      // what choose_beta measured (null: --beta was a number)
  int64_t kl_warmup = 0;              // --kl-warmup: steps over which the KL weight rises to beta
  int64_t ensemble = 1;               // advi, fullrank_advi: fits combined as a Mixture
  // --recipe (fit_recipe.hpp): the values of the flags not given. Resolved before the fit
  // into the flags above (beta_auto, kl_warmup, ensemble) and these:
  std::string recipe = "ensemble";
  bool robust_likelihood = false;       // a real target gets heteroscedastic_student_t
  bool likelihood_from_recipe = false;  // `likelihood` was set by the recipe, not by --likelihood
  std::vector<std::string> recipe_report;  // apply_recipe's lines, printed by print_recipe
  double lr = 0;
  std::string lr_schedule = "plateau";  // "plateau" (PlateauAnnealing) or "constant"
  double init_scale = fit_defaults::start_sigma;  // the families' initial sigma (not fullrank_advi)
  double time_limit = 0;                // seconds, 0 = none; a budget of this run, not kept in checkpoints
  int64_t iters = 0, max_iters = fit_defaults::max_iters, batch_size = 0, mc_samples = 1;
  std::string dtype = "float32";
  uint64_t seed = 0;
  int threads = 1;
  int64_t psis_draws = fit_defaults::psis_draws;  // 0: no k-hat (does not change the fit)
  CLI::Option* psis_opt = nullptr;                 // given: exactly that many draws
  bool no_standardize = false;
  // Data-parallel fits (run_data_parallel_fit): block by block with exact sums, over the
  // processes of `mpirun` when launched by it.
  bool data_parallel = false;
  int64_t block_rows = 1024;
  // Whether --lr, --iters, --batch-size were given (their absence means something).
  bool lr_given = false, iters_given = false, batch_given = false;
  // Checkpoints (not part of the fit's settings: they do not change its result).
  std::string resume, checkpoint;
  int64_t checkpoint_every = 0, stop_after = 0;

  CLI::Option *rank_opt = nullptr, *flow_opt = nullptr, *mc_opt = nullptr, *particles_opt = nullptr,
              *objective_opt = nullptr, *hessian_opt = nullptr, *subset_opt = nullptr, *predictive_opt = nullptr,
              *prior_structure_opt = nullptr, *evidence_iterations_opt = nullptr, *optimizer_opt = nullptr,
              *paths_opt = nullptr, *resampling_opt = nullptr, *init_opt = nullptr, *max_iters_opt = nullptr;
  CLI::Option *schedule_opt = nullptr, *init_scale_opt = nullptr, *time_limit_opt = nullptr, *beta_opt = nullptr,
              *kl_warmup_opt = nullptr, *likelihood_opt = nullptr, *ensemble_opt = nullptr;
  CLI::Option *lr_opt = nullptr, *iters_opt = nullptr, *batch_opt = nullptr, *train_opt = nullptr,
              *out_opt = nullptr, *threads_opt = nullptr, *every_opt = nullptr, *checkpoint_opt = nullptr;
  /// The flags that shape the fit: a resumed fit takes them from its checkpoint.
  std::vector<CLI::Option*> shaping;
};

// The settings a checkpoint stores: everything that decides the fit's result.
nlohmann::json settings_json(const FitFlags& f) {
  return {{"train", f.train},           {"out", f.out},
          {"target", f.target},         {"likelihood", f.likelihood},
          {"hidden", f.hidden},         {"activation", f.activation},
          {"bias", f.bias},             {"prior_sd", f.prior_sd}, {"prior", f.prior},
          {"prior_scale", f.prior_scale},
          {"method", f.method},         {"optimizer", f.optimizer},
          {"rank", f.rank},             {"flow", f.flow},
          {"objective", f.objective},   {"particles", f.particles}, {"beta", f.beta},
          {"kl_warmup", f.kl_warmup},   {"beta_selection", f.beta_selection},
          {"lr", f.lr},                 {"lr_given", f.lr_given},
          {"iters", f.iters},           {"iters_given", f.iters_given},
          {"max_iters", f.max_iters},   {"batch_size", f.batch_size},
          {"batch_given", f.batch_given}, {"mc_samples", f.mc_samples},
          {"dtype", f.dtype},           {"seed", f.seed},
          {"no_standardize", f.no_standardize}, {"init", f.init},
          {"lr_schedule", f.lr_schedule}, {"init_scale", f.init_scale},
          {"data_parallel", f.data_parallel}, {"block_rows", f.block_rows},
          {"recipe", f.recipe}, {"likelihood_from_recipe", f.likelihood_from_recipe}};
}

void restore_settings(FitFlags& f, const nlohmann::json& j, const std::string& source) {
  try {
    f.train = j.at("train").get<std::string>();
    f.out = j.at("out").get<std::string>();
    f.target = j.at("target").get<std::string>();
    f.likelihood = j.at("likelihood").get<std::string>();
    f.hidden = j.at("hidden").get<std::string>();
    f.activation = j.at("activation").get<std::string>();
    f.bias = j.at("bias").get<bool>();
    f.prior_sd = j.at("prior_sd").get<double>();
    f.prior = j.value("prior", std::string("normal"));  // absent before --prior
    f.prior_scale = j.value("prior_scale", std::string("fixed"));  // absent before --prior-scale
    f.method = j.at("method").get<std::string>();
    f.optimizer = j.at("optimizer").get<std::string>();
    // Absent from checkpoints written before lowrank_advi and nfvi.
    f.rank = j.value("rank", int64_t{0});
    f.flow = j.value("flow", std::string());
    f.objective = j.value("objective", std::string("kl"));
    f.beta = j.value("beta", 1.0);  // absent before --beta
    f.kl_warmup = j.value("kl_warmup", int64_t{0});  // absent before --kl-warmup
    // What --beta auto measured before the checkpointed fit (null: --beta was a number).
    f.beta_selection = j.value("beta_selection", nlohmann::json());
    f.particles = j.value("particles", int64_t{100});
    f.init = j.value("init", std::string("default"));  // absent before --init
    f.lr = j.at("lr").get<double>();
    f.lr_given = j.at("lr_given").get<bool>();
    f.iters = j.at("iters").get<int64_t>();
    f.iters_given = j.at("iters_given").get<bool>();
    f.max_iters = j.at("max_iters").get<int64_t>();
    f.batch_size = j.at("batch_size").get<int64_t>();
    f.batch_given = j.at("batch_given").get<bool>();
    f.mc_samples = j.at("mc_samples").get<int64_t>();
    f.dtype = j.at("dtype").get<std::string>();
    f.seed = j.at("seed").get<uint64_t>();
    f.no_standardize = j.at("no_standardize").get<bool>();
    // Absent before --lr-schedule: those fits ran at a constant rate.
    f.lr_schedule = j.value("lr_schedule", std::string("constant"));
    f.init_scale = j.value("init_scale", 0.05);  // absent before --init-scale, whose default was 0.05
    f.data_parallel = j.value("data_parallel", false);  // absent before data-parallel fits
    f.block_rows = j.value("block_rows", int64_t{1024});
    // Absent before --recipe: those fits took no recipe (as --recipe single). The recipe's
    // choices are in the settings above (a resumed fit does not choose again).
    f.recipe = j.value("recipe", std::string("single"));
    f.likelihood_from_recipe = j.value("likelihood_from_recipe", false);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source + ": the checkpoint's settings are invalid (" + e.what() + ")");
  }
}

// The CLI's two convergence tests (Stan's relative ELBO change, PyMC's parameter change),
// counting steps over the whole fit: a resumed fit is a second Inference::fit call, whose
// own step count starts again at 1. Their states are saved in a checkpoint and restored.
class FitConvergence : public Callback {
 public:
  // Steps up to `start` (a KL warm-up's, whose losses are of a changing objective) are not
  // judged.
  FitConvergence(int64_t total, int64_t start)
      : total_(total),
        start_(start),
        elbo_(ElboConvergence::Options{.eval_elbo = fit_defaults::eval_every,
                                       .tol_rel_obj = fit_defaults::tol_rel_obj,
                                       .buffer = fit_defaults::buffer}),
        params_(CheckParametersConvergence::Options{.every = fit_defaults::eval_every,
                                                    .tolerance = fit_defaults::tol_params}) {}

  bool operator()(const StepInfo& info, std::string& reason) override {
    if (info.step <= start_) return true;
    StepInfo whole{info.approximation, info.hist, info.step, info.step, total_};
    return elbo_(whole, reason) && params_(whole, reason);
  }
  // Not forwarded: the inner tests' state spans fit calls (see restore).
  void on_fit_start() override {}

  /// Into a checkpoint.
  void save(FitCheckpoint& c) const {
    c.elbo_convergence = elbo_.saved_state();
    c.parameter_convergence = params_.saved_state();
  }

  /// The state after `hist.size()` steps of an uninterrupted fit, from a checkpoint.
  /// Checkpoints of format 1 did not store the ELBO test's state: it is rebuilt by running
  /// the test over their loss history, as the fit did.
  void restore(const FitCheckpoint& c, const Approximation& current) {
    params_.restore_state(c.parameter_convergence);
    if (!c.elbo_convergence_from_history) {
      elbo_.restore_state(c.elbo_convergence);
      return;
    }
    std::string reason;
    const std::vector<double>& hist = c.state.hist;
    for (int64_t s = fit_defaults::eval_every; s <= static_cast<int64_t>(hist.size()); s += fit_defaults::eval_every)
      elbo_(StepInfo{current, std::span<const double>(hist.data(), static_cast<size_t>(s)), s, s, total_}, reason);
  }

 private:
  int64_t total_, start_;
  ElboConvergence elbo_;
  CheckParametersConvergence params_;
};

using Clock = std::chrono::steady_clock;

std::string describe_network(const NetworkSpec& s) {
  std::string text = s.layers();
  text += ", " + s.mlp.activation + (s.mlp.bias ? ", biases" : ", no biases");
  return text + ", " + prior_description(s.mlp);
}

// Where and how often checkpoints are written, and what a resumed fit starts from.
struct CheckpointPlan {
  std::string path;   // "" = no checkpoints
  int64_t every = 0;
  std::optional<FitCheckpoint> resumed;
  SavedApproximation resumed_file;
};

// --resume: the flags that shape the fit come from the checkpoint, so they must not be
// given again; --out, --threads and the checkpoint flags may be.
CheckpointPlan plan_checkpoints(FitFlags& f) {
  CheckpointPlan plan;
  if (f.stop_after < 0) throw UsageError("--stop-after: must be positive");
  if (!f.resume.empty()) {
    for (CLI::Option* o : f.shaping)
      if (o->count())
        throw UsageError("--resume: " + o->get_name() +
                         " cannot be combined with --resume; the fit continues with the settings saved in " +
                         f.resume);
    const std::string out = f.out, checkpoint = f.checkpoint;
    const int threads = f.threads;
    plan.resumed_file = load_approximation(f.resume);
    plan.resumed = checkpoint_from(plan.resumed_file);
    restore_settings(f, plan.resumed->settings, f.resume);
    if (f.out_opt->count()) f.out = out;
    f.threads = threads;
    plan.path = f.checkpoint_opt->count() ? checkpoint : f.resume;
    plan.every = f.every_opt->count() ? f.checkpoint_every : plan.resumed->every;
  } else {
    if (!f.train_opt->count()) throw UsageError("--train is required (or --resume CHECKPOINT)");
    if (!f.out_opt->count()) throw UsageError("--out is required");
    if (f.checkpoint_opt->count() && !f.every_opt->count())
      throw UsageError("--checkpoint: '" + f.checkpoint + "' needs --checkpoint-every N");
    if (f.every_opt->count()) {
      plan.every = f.checkpoint_every;
      plan.path = f.checkpoint_opt->count() ? f.checkpoint : f.out + ".ckpt";
    }
  }
  if (plan.every > 0) {
    check_output_parent("--checkpoint", plan.path);
    namespace fs = std::filesystem;
    if (fs::absolute(plan.path).lexically_normal() == fs::absolute(f.out).lexically_normal())
      throw UsageError("--checkpoint: '" + plan.path + "' is the model file --out; give another path");
  } else {
    plan.path.clear();
  }
  return plan;
}

// --- the steps of a fit -----------------------------------------------------------------

// The network's options from the flags, checked before any work; removes temporaries that
// a killed fit left beside the outputs.
NetworkSpec network_options(FitFlags& f, const CheckpointPlan& plan) {
  NetworkSpec spec;
  spec.mlp.hidden = parse_hidden("--hidden", f.hidden);
  spec.mlp.activation = f.activation;
  spec.mlp.bias = f.bias;
  spec.mlp.prior_sd = f.prior_sd;
  spec.mlp.prior = f.prior;
  spec.dtype = f.dtype == "float64" ? DType::f64 : DType::f32;
  spec.standardized = !f.no_standardize;
  check_output_parent("--out", f.out);
  if (!f.loss_history.empty()) check_output_parent("--loss-history", f.loss_history);
  for (const std::string& path : {f.out, plan.path})
    if (!path.empty())
      for (const std::string& stale : remove_stale_temporaries(path))
        std::fprintf(stderr, "removed %s, a temporary file left by a fit that was killed\n", stale.c_str());
  if (f.method == "fullrank_advi" && f.optimizer.empty()) f.optimizer = fit_defaults::optimizer;
  return spec;
}

// The training table split into features and target (raw units), with its checksum.
struct TrainingData {
  data::Dataset set;      // x [rows, F], y [rows], float64
  std::vector<double> y;  // the target, as numbers
  std::string checksum;
  int64_t rows() const { return set.rows(); }
};

TrainingData load_training_data(const FitFlags& f, const CheckpointPlan& plan, NetworkSpec& spec) {
  data::Table table = read_table(f.train);
  if (table.cols() < 2)
    throw FormatError(f.train + ": has " + std::to_string(table.cols()) +
                      " column; fitting needs at least one feature column and a target column");
  int64_t target = 0;
  try {
    target = data::column_index(table.columns, f.target);
  } catch (const InvalidArgument&) {
    throw UsageError("--target: '" + f.target + "' is neither a column name nor a 0-based column index of " + f.train +
                     "; the columns are: " + join_names(table.columns));
  }
  TrainingData d;
  const int64_t n = table.rows() * table.cols();
  std::vector<double> all_values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) all_values[static_cast<size_t>(i)] = table.values[i];
  d.checksum = data_checksum(table.columns, all_values);
  if (plan.resumed && plan.resumed->data_checksum != d.checksum)
    throw FormatError(f.resume + ": the training data " + f.train +
                      " has changed since the checkpoint was written (its checksum differs), so the fit cannot be "
                      "continued");
  d.set = data::split_target(table, target);
  d.y.resize(static_cast<size_t>(d.rows()));
  for (int64_t r = 0; r < d.rows(); ++r) d.y[r] = d.set.y[r];
  spec.target = d.set.target_name;
  spec.target_index = target;
  spec.features = d.set.feature_names;
  if (f.batch_given && f.batch_size > d.rows())
    throw UsageError("--batch-size: " + std::to_string(f.batch_size) + " is more than the " + std::to_string(d.rows()) +
                     " rows of " + f.train);
  return d;
}

// --likelihood, checked against the target, or the one the target implies.
void choose_likelihood(FitFlags& f, NetworkSpec& spec, const TrainingData& d) {
  std::string reason;
  if (f.likelihood.empty()) {
    InferredLikelihood inferred = infer_likelihood(d.y);
    if (f.robust_likelihood && inferred.likelihood->name() == "normal") {
      // Kept as if asked, so that a checkpoint resumes with it (settings_json).
      f.likelihood = "heteroscedastic_student_t";
      f.likelihood_from_recipe = true;
      spec.likelihood = likelihood_for_target(f.likelihood, d.y);
      reason = "a real target: the ensemble recipe's robust likelihood, its noise learned row by row; "
               "--likelihood normal or --recipe single for a normal one";
    } else {
      spec.likelihood = std::move(inferred.likelihood);
      reason = inferred.reason + "; --likelihood overrides";
    }
  } else {
    try {
      spec.likelihood = likelihood_for_target(f.likelihood, d.y);
    } catch (const InvalidArgument& e) {
      throw UsageError("--likelihood: '" + f.likelihood + "' does not fit target '" + spec.target + "' of " + f.train +
                       ": " + e.what());
    }
    reason = f.likelihood_from_recipe ? "the ensemble recipe's for a real target, kept in the checkpoint"
                                      : "as asked with --likelihood";
  }
  std::printf("data: %s, %ld rows, %ld features; target '%s'\n", f.train.c_str(), static_cast<long>(d.rows()),
              static_cast<long>(spec.feature_count()), spec.target.c_str());
  std::printf("likelihood: %s (%s)\n", spec.likelihood->description().c_str(), reason.c_str());
}

// The model's inputs: features (and a target the likelihood standardises) standardised
// with the training statistics, unless --no-standardize.
struct ModelData {
  Tensor x, y;
};

// `shared`: a data-parallel fit's processes, whose statistics come from every one's rows
// (total_rows of them), in fixed point (row_share.hpp).
ModelData standardize(NetworkSpec& spec, const TrainingData& d, Communicator* shared = nullptr,
                      int64_t total_rows = 0) {
  const int64_t rows = d.rows(), F = spec.feature_count();
  const bool target = spec.likelihood->standardizes_target();
  spec.x_mean.assign(static_cast<size_t>(F), 0.0);
  spec.x_sd.assign(static_cast<size_t>(F), 1.0);
  auto fit = [&](const Tensor& x) {
    return shared ? shared_standardizer(x, total_rows, *shared) : data::Standardizer::fit(x);
  };
  if (spec.standardized) {
    data::Standardizer s = fit(d.set.x);
    spec.x_mean = s.mean();
    spec.x_sd = s.sd();
    if (target) {
      data::Standardizer sy = fit(Tensor(DType::f64, {rows, 1}, d.y));
      spec.y_mean = sy.mean()[0];
      spec.y_sd = sy.sd()[0];
    }
  }
  ModelData m{model_inputs(spec, d.set.x), Tensor(spec.dtype, {rows})};
  for (int64_t r = 0; r < rows; ++r) m.y.set(r, target ? (d.y[r] - spec.y_mean) / spec.y_sd : d.y[r]);
  std::printf("inputs: %s\n", spec.standardized ? (target ? "features and target standardised with the training statistics"
                                                          : "features standardised with the training statistics")
                                                : "as given (--no-standardize)");
  return m;
}

// The network on the data (full batch, or minibatches of --batch-size rows), its weights
// starting at build_mlp's scaled draws (fit_defaults::init_gain).
Model build_model(const FitFlags& f, const NetworkSpec& spec, const ModelData& data) {
  const int64_t rows = data.x.dim(0);
  Model model(spec.dtype);
  MlpOptions mlp = spec.mlp;
  mlp.init_seed = f.seed;
  mlp.init_gain = fit_defaults::init_gain;
  Expr xe, ye;
  if (f.batch_given) {
    auto batch = model.minibatch({"x", "y"}, {data.x, data.y}, {.batch_size = f.batch_size, .seed = f.seed + 1});
    xe = batch[0];
    ye = batch[1];
    mlp.total_size = static_cast<double>(rows);
  } else {
    xe = model.data("x", data.x);
    ye = model.data("y", data.y);
  }
  build_mlp(model, xe, ye, mlp, *spec.likelihood);
  report("network: %s; %ld parameters, %s\n", describe_network(spec).c_str(),
         static_cast<long>(model.flat_size()), std::string(dtype_name(spec.dtype)).c_str());
  return model;
}

std::unique_ptr<Inference> make_fit_inference(const FitFlags& f, Model& model, const std::optional<Tensor>& start,
                                              const DataParallelOptions& data_parallel = {}) {
  InferenceOptions io;
  io.data_parallel = data_parallel;
  // A full batch's one-draw steps run in blocks of rows on the threads once there are
  // enough rows (LogpProgram::split_rows; the same bits for any --threads). Valid because
  // build_mlp's likelihoods are one term per row of x and y and its priors read neither:
  // a likelihood that reduces over rows would need this taken out.
  if (!data_parallel.communicator && model.batch_sources().empty()) io.row_data = {"x", "y"};
  io.seed = f.seed;
  io.threads = f.threads;
  io.start = start ? *start : model.initial_point();
  io.optimizer.name = f.optimizer;
  if (f.lr_given)
    io.optimizer.learning_rate = f.lr;
  else if (f.optimizer == fit_defaults::optimizer)
    io.optimizer.learning_rate = fit_defaults::learning_rate;
  if (f.method != "fullrank_advi") io.start_sigma = f.init_scale;
  if (f.rank > model.flat_size())
    throw UsageError("--rank: " + std::to_string(f.rank) + " is more than the network's " +
                     std::to_string(model.flat_size()) + " parameters");
  io.rank = f.rank;
  io.flow = f.flow;
  io.particles = f.particles;
  return make_inference(model, f.method, io);
}

// k-hat in the model file. JSON has no infinity or NaN: -inf (the tail's ratios all equal)
// is null, NaN (degenerate ratios) the string "nan"; `elbo summary` reads both back.
nlohmann::json khat_json(double khat) {
  if (std::isfinite(khat)) return khat;
  return std::isnan(khat) ? nlohmann::json("nan") : nlohmann::json(nullptr);
}

// What the fit did, for the report and the model file.
struct FitOutcome {
  int64_t start_step = 0;  // > 0 when resumed
  double seconds = 0;
  bool until_converged = false;
  double last_loss = 0;  // mean of the last (up to) 100 losses
  double final_lr = 0;   // the rate of the last step (annealed: base x the schedule's scale)
  size_t tail = 0;
};

// Runs the fit: resumes from the checkpoint, writes checkpoints, stops at convergence, at
// the step count, on Ctrl-C (writing a last checkpoint) or at --stop-after (tests).
// `writer`: whether this process writes checkpoints and draws the progress bar (one process
// of a data-parallel fit does).
FitOutcome run_inference(const FitFlags& f, const CheckpointPlan& plan, const NetworkSpec& spec, Model& model,
                         Inference& inference, const std::string& checksum, bool writer = true) {
  FitOptions fo{.obj_n_mc = f.mc_samples, .beta = f.beta, .kl_warmup = f.kl_warmup};
  fo.progressbar = writer;
  fo.progress_sink = report_progress_sink();  // kept with the report of a fit beside others
  if (f.method != "svgd" && f.method != "asvgd") fo.objective = parse_objective(f.objective, nullptr);
  FitOutcome out;
  out.until_converged = !f.iters_given;
  const int64_t steps = out.until_converged ? f.max_iters : f.iters;
  auto convergence = std::make_shared<FitConvergence>(steps, f.kl_warmup);
  // The rate is annealed on plateaus of the loss; until converged, the plateau after the
  // last cut ends the fit. A constant rate uses Stan's and PyMC's tests instead.
  const bool annealed = f.lr_schedule == "plateau";
  const PlateauAnnealing::Options ao{.window = fit_defaults::anneal_window,
                                     .patience = fit_defaults::anneal_patience,
                                     .cuts = fit_defaults::anneal_cuts,
                                     .stop_when_converged = out.until_converged,
                                     .start = f.kl_warmup};
  auto annealing = std::make_shared<PlateauAnnealing>(ao);
  if (annealed) {
    fo.schedule = annealing;
    fo.callbacks.push_back(annealing);
  } else if (out.until_converged) {
    fo.callbacks.push_back(convergence);
  }
  bool out_of_time = false;
  if (f.time_limit > 0) {
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(f.time_limit));
    fo.callbacks.push_back(std::make_shared<LambdaCallback>([&out_of_time, deadline](const StepInfo&) {
      out_of_time = Clock::now() >= deadline;
      return !out_of_time;
    }));
  }

  if (plan.resumed) {
    try {
      check_compatible(plan.resumed_file, model);
      inference.set_state(plan.resumed->state);
      convergence->restore(*plan.resumed, inference.approximation());
      annealing->restore_state(plan.resumed->annealing);
    } catch (const InvalidArgument& e) {
      throw FormatError(f.resume + ": the checkpoint does not fit the network its settings build (" + e.what() + ")");
    }
    out.start_step = plan.resumed->state.step;
  }
  const std::string network_json = to_json(spec);
  auto write_checkpoint = [&] {
    FitCheckpoint c;
    c.settings = settings_json(f);
    c.state = inference.state();
    c.state.params.clear();  // the approximation's, saved as the file's parameters
    convergence->save(c);
    if (annealed) c.annealing = annealing->saved_state();
    c.data_checksum = checksum;
    c.every = plan.every;
    save_approximation(plan.path, model, inference.approximation(),
                       {{network_metadata_key, network_json},
                        {checkpoint_metadata_key, to_json(c)},
                        {"elbo.version", ELBO_VERSION}});
  };
  if (plan.every > 0 && writer)
    fo.callbacks.push_back(std::make_shared<LambdaCallback>([&](const StepInfo& info) {
      if (info.step % plan.every == 0) write_checkpoint();
      return true;
    }));
  bool stopped_for_test = false;
  if (f.stop_after > 0)
    fo.callbacks.push_back(std::make_shared<LambdaCallback>([&](const StepInfo& info) {
      stopped_for_test = info.step >= f.stop_after;
      return !stopped_for_test;
    }));
  report("fitting: %s (%s), %s (learning rate %g), %s%s\n", f.method.c_str(),
         inference.approximation().kind().c_str(), f.optimizer.c_str(),
         inference.optimizer().learning_rate(),
         out.until_converged ? ("until converged, at most " + std::to_string(steps) + " steps").c_str()
                             : (std::to_string(steps) + " steps").c_str(),
         f.batch_given ? (", minibatches of " + std::to_string(f.batch_size) + " rows").c_str() : "");
  if (f.beta != 1.0) report("tempering: the KL part of the ELBO weighted by %g (--beta)\n", f.beta);
  if (f.kl_warmup > 0)
    report("KL warm-up: the KL part's weight rises from %g to %g over the first %ld steps; the stopping tests "
           "judge the loss after them (--kl-warmup)\n",
           f.beta / static_cast<double>(f.kl_warmup), f.beta, static_cast<long>(f.kl_warmup));
  if (plan.resumed)
    report("resuming: %s at step %ld of %ld\n", f.resume.c_str(), static_cast<long>(out.start_step),
           static_cast<long>(steps));
  if (plan.every > 0)
    report("checkpoints: %s every %ld steps\n", plan.path.c_str(), static_cast<long>(plan.every));
  flush_report();
  auto t0 = Clock::now();
  inference.fit(std::max<int64_t>(0, steps - out.start_step), fo);
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const FitReport& last = inference.last_fit();
  const std::string resume_hint = plan.every > 0 ? "; continue with: elbo fit --resume " + plan.path : "";
  if (last.interrupted) {
    if (plan.every > 0 && writer) write_checkpoint();
    throw Error("interrupted (Ctrl-C) at step " + std::to_string(inference.step()) + "; nothing was written to " +
                f.out + resume_hint);
  }
  if (stopped_for_test)
    throw Error("stopped after " + std::to_string(inference.step()) + " steps (--stop-after); nothing was written to " +
                f.out + resume_hint);
  const auto& hist = inference.hist();
  out.tail = std::min<size_t>(hist.size(), 100);
  for (size_t i = hist.size() - out.tail; i < hist.size(); ++i) out.last_loss += hist[i] / static_cast<double>(out.tail);
  std::string why = last.stopped ? "; " + last.reason
                                   : (out.until_converged ? "; not converged, stopped at the cap (--max-iters)" : "");
  if (out_of_time) {
    char limit[64];
    std::snprintf(limit, sizeof limit, "; stopped at the time limit (--time-limit %g s)", f.time_limit);
    why = limit + std::string(out.until_converged ? ", not converged" : "");
  }
  report("fitted: %ld steps%s in %.2f s (%.0f steps/s)%s; mean loss of the last %zu steps %.4g\n",
         static_cast<long>(inference.step()),
         out.start_step > 0 ? (" (" + std::to_string(last.steps) + " after resuming)").c_str() : "",
         out.seconds, static_cast<double>(last.steps) / std::max(out.seconds, 1e-9), why.c_str(), out.tail,
         out.last_loss);
  // From the schedule's state, not the optimizer's: a fit resumed at its last step runs no
  // step that would set the optimizer's rate.
  out.final_lr = annealed ? inference.optimizer().base_learning_rate() * annealing->scale()
                          : inference.optimizer().learning_rate();
  if (annealed)
    report("learning rate: %g at the end (%ld cuts by half on plateaus of the loss)\n", out.final_lr,
           static_cast<long>(annealing->cuts_made()));
  return out;
}

// The work after the fit, sized so that it costs less than the fit (docs/CLI.md, "After the
// fit"): the fit ran `steps` steps of forward and backward passes (about three forward
// passes' work) over its batch rows and draws; the training score gets a third of that
// budget, PSIS k-hat two thirds, each as draws over all the training rows. Both run on every
// core (their results do not depend on the threads).
struct PostFitPlan {
  int64_t report_draws = fit_defaults::report_draws;
  int64_t psis_draws = 0;    // 0: none
  std::string psis_skipped;  // why the default k-hat was left out, or empty
  int threads = 1;
};

PostFitPlan plan_post_fit(const FitFlags& f, int64_t steps, int64_t rows) {
  PostFitPlan p;
  const double batch = static_cast<double>(f.batch_given ? std::min(f.batch_size, rows) : rows);
  const double per_step = f.method == "svgd" ? static_cast<double>(f.particles) : static_cast<double>(f.mc_samples);
  const double fit_passes = 3.0 * static_cast<double>(steps) * batch * per_step;  // forward-pass rows
  const double budget_draws = fit_passes / static_cast<double>(std::max<int64_t>(rows, 1));
  p.report_draws = std::clamp<int64_t>(static_cast<int64_t>(budget_draws / 3), fit_defaults::min_report_draws,
                                       fit_defaults::report_draws);
  if (f.psis_opt && f.psis_opt->count() > 0) {
    p.psis_draws = f.psis_draws;
  } else {
    const int64_t affordable = static_cast<int64_t>(2 * budget_draws / 3);
    if (affordable >= fit_defaults::min_psis_draws) {
      p.psis_draws = std::min<int64_t>(affordable, fit_defaults::psis_draws);
    } else {
      char why[256];
      std::snprintf(why, sizeof why,
                    "%ld draws over all %ld training rows would cost more than the fit; `elbo check` computes it "
                    "with --draws N",
                    static_cast<long>(fit_defaults::min_psis_draws), static_cast<long>(rows));
      p.psis_skipped = why;
    }
  }
  p.threads = std::max(f.threads, core_count());
  return p;
}

// The likelihood's training score ("training accuracy: 96.0% (200 draws)") of the fitted
// approximation, from the mean of the network's output over plan.report_draws draws.
void report_training_fit(const FitFlags& f, const PostFitPlan& plan, const NetworkSpec& spec, const TrainingData& d,
                         const Approximation& q) {
  Model model(spec.dtype);
  const int64_t F = spec.feature_count();
  Expr x = model.data("x", Tensor(spec.dtype, {1, F}));
  Expr y = model.data("y", Tensor(spec.dtype, {1}));
  Mlp net = build_mlp(model, x, y, spec.mlp, *spec.likelihood);
  // The linearised network's predictive (Laplace's default over all the weights) has a model
  // of its own; the probit's training score is that of the linearised draws it approximates.
  Model linear(spec.dtype);
  Mlp linear_net;
  if (spec.linearized())
    linear_net = build_mlp(linear, linear.data("x", Tensor(spec.dtype, {1, F})),
                           linear.data("y", Tensor(spec.dtype, {1})), predictive_mlp(spec, model, net, q),
                           *spec.likelihood);
  const std::vector<double> mean =
      mean_output(spec.linearized() ? linear : model, q, spec.linearized() ? linear_net : net, model_inputs(spec, d.set.x),
                  plan.report_draws, f.seed + 2, plan.threads);
  TrainingScore score = spec.likelihood->training_score(mean, d.y, spec.target_scale());
  char percent[32];
  std::snprintf(percent, sizeof percent, "%.1f%%", 100 * score.value);
  const std::string value = score.format == MetricFormat::percent ? percent : format_metric(score.value, score.format);
  std::printf("training %s: %s (%d draws)\n", score.name.c_str(), value.c_str(), static_cast<int>(plan.report_draws));
}

// PSIS k-hat of the fitted approximation against the model on all the training rows (a
// minibatch model's log p is only an estimate), printed with its verdict (khat_line:
// "PSIS k-hat: 0.31, good (k-hat < 0.5: ...; 1000 draws, ESS 612)"). nullopt when
// --psis-draws is 0.
std::optional<ApproximationCheck> report_khat(const FitFlags& f, const PostFitPlan& plan, const NetworkSpec& spec,
                                              const ModelData& data, const Approximation& q) {
  if (!plan.psis_skipped.empty()) {
    std::printf("PSIS k-hat: skipped (%s)\n", plan.psis_skipped.c_str());
    return std::nullopt;
  }
  if (plan.psis_draws == 0) return std::nullopt;
  if (!q.has_density()) {
    std::printf("PSIS k-hat: none (%s approximation: particles have no density)\n", q.kind().c_str());
    return std::nullopt;
  }
  Model model(spec.dtype);
  MlpOptions mlp = spec.mlp;
  mlp.init_seed = f.seed;
  mlp.init_gain = fit_defaults::init_gain;
  const Mlp net = build_mlp(model, model.data("x", data.x), model.data("y", data.y), mlp, *spec.likelihood);
  ApproximationCheck c = check_approximation(
      model, q, {.draws = plan.psis_draws, .seed = f.seed + 3, .threads = plan.threads, .row_data = {net.x, net.y}});
  std::printf("%s\n", khat_line(c).c_str());
  return c;
}

void save_model(const FitFlags& f, const NetworkSpec& spec, const Model& model, Inference& inference,
                const FitOutcome& out, int64_t rows, const std::optional<ApproximationCheck>& check) {
  const FitReport& report = inference.last_fit();
  nlohmann::json fit_info = {{"train", f.train},
                             {"rows", rows},
                             {"method", f.method},
                             {"optimizer", f.optimizer},
                             {"learning_rate", inference.optimizer().base_learning_rate()},
                             {"final_learning_rate", out.final_lr},
                             {"lr_schedule", f.lr_schedule},
                             {"steps", inference.step()},
                             {"stopped", report.reason},
                             {"mean_last_loss", out.last_loss},
                             {"mc_samples", f.mc_samples},
                             {"particles", f.method == "svgd" || f.method == "asvgd" ? f.particles : int64_t{0}},
                             {"objective", f.method == "svgd" || f.method == "asvgd" ? std::string("ksd") : f.objective},
                             {"beta", f.beta},
                             {"kl_warmup", f.kl_warmup},
                             {"batch_size", f.batch_given ? f.batch_size : rows},
                             {"seed", f.seed},
                             {"recipe", f.recipe}};
  if (!f.beta_selection.is_null()) fit_info["beta_selection"] = f.beta_selection;
  if (check) {
    fit_info["psis_khat"] = khat_json(check->psis.khat);
    fit_info["psis_ess"] = check->psis.ess;
    fit_info["psis_draws"] = check->draws;
  }
  save_approximation(f.out, model, inference.approximation(),
                     {{network_metadata_key, to_json(spec)},
                      {"elbo.fit", fit_info.dump()},
                      {"elbo.version", ELBO_VERSION}});
  std::printf("wrote %s\n", f.out.c_str());
}

// Laplace (docs/CLI.md, "Laplace"): the MAP by L-BFGS and the Hessian there, on a float64
// copy of the network over all the training rows (central differences of the gradient
// need float64), the prior precision of the weights chosen by the Laplace evidence.
constexpr int64_t kLaplaceFullLimit = 4000;

// The network on all the training rows in float64, for the methods that optimise log p
// (L-BFGS's line search and the Hessian's differences need float64 gradients).
Mlp build_float64_model(const FitFlags& f, const NetworkSpec& spec, const ModelData& inputs, Model& model) {
  MlpOptions mlp = spec.mlp;
  mlp.init_seed = f.seed;
  mlp.init_gain = fit_defaults::init_gain;
  return build_mlp(model, model.data("x", inputs.x), model.data("y", inputs.y), mlp, *spec.likelihood);
}

// --prior-scale evidence: empirical Bayes for the weights' prior. A Laplace fit over every
// weight (the MAP by L-BFGS, its Hessian diagonal by differences up to kLaplaceFullLimit
// parameters, else Kronecker factors) with MacKay's evidence iterations chooses one prior
// precision from the training data; the fit then runs with N(0, 1 / sqrt(precision)) on
// every weight. The chosen sd is written to f.prior_sd and the flag resolved to "fixed", so
// a checkpoint stores the sd itself and a resumed fit does not choose again.
// docs/DIAGNOSTICS.md ("A Laplace variant that closes it") has why the diagonal.
constexpr int kPriorScaleEvidenceIterations = 10;

void choose_prior_scale(FitFlags& f, NetworkSpec& spec, const ModelData& inputs) {
  if (f.prior_scale != "evidence") return;
  Model model(DType::f64);
  Mlp net = build_float64_model(f, spec, inputs, model);
  const int64_t D = model.flat_size();
  LaplaceOptions lo;
  lo.hessian = D <= kLaplaceFullLimit ? "diag" : "kron";
  if (lo.hessian == "kron")
    lo.kronecker_factors = [&](std::span<const double> z) {
      return mlp_kronecker_factors(model, net, spec.mlp, *spec.likelihood, z, f.threads);
    };
  lo.tuned_prior = net.weight_names;
  lo.prior_precision = 1.0 / (spec.mlp.prior_sd * spec.mlp.prior_sd);
  lo.evidence_iterations = kPriorScaleEvidenceIterations;
  lo.threads = f.threads;
  std::printf("prior scale: by the Laplace evidence (%s Hessian over %ld parameters, up to %d evidence iterations)\n",
              lo.hessian.c_str(), static_cast<long>(D), kPriorScaleEvidenceIterations);
  std::fflush(stdout);
  const auto t0 = Clock::now();
  const LaplaceFit fit = fit_laplace(model, lo);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!(fit.prior_precision > 0) || !std::isfinite(fit.prior_precision))
    throw NumericalError("--prior-scale evidence: the Laplace evidence chose a prior precision of " +
                         std::to_string(fit.prior_precision) + "; give --prior-sd instead");
  const double sd = 1.0 / std::sqrt(fit.prior_precision);
  std::printf("prior scale: precision %.4g, sd %.4g, after %d evidence iteration%s, in %.2f s\n", fit.prior_precision,
              sd, fit.evidence_iterations, fit.evidence_iterations == 1 ? "" : "s", seconds);
  spec.mlp.prior_sd = sd;
  f.prior_sd = sd;
  f.prior_scale = "fixed";
}

// The model file of a method without steps: its network in its own precision, q, and what
// the fit did (`info`, with k-hat when there is one).
void save_optimised_fit(const FitFlags& f, const NetworkSpec& spec, const ModelData& inputs, const Approximation& q,
                        nlohmann::json info, const std::optional<PsisResult>& psis, int64_t psis_draws) {
  info["recipe"] = f.recipe;
  if (psis) {
    info["psis_khat"] = khat_json(psis->khat);
    info["psis_ess"] = psis->ess;
    info["psis_draws"] = psis_draws;
  }
  Model saved = build_model(f, spec, inputs);
  save_approximation(f.out, saved, q,
                     {{network_metadata_key, to_json(spec)}, {"elbo.fit", info.dump()}, {"elbo.version", ELBO_VERSION}});
  std::printf("wrote %s\n", f.out.c_str());
}

void run_laplace_fit(FitFlags& f, const NetworkSpec& network, const TrainingData& data, const ModelData& inputs) {
  NetworkSpec spec = network;
  spec.predictive = !f.predictive.empty() ? f.predictive : f.subset == "all" ? "linearised" : "sampled";
  if (spec.predictive == "probit" && spec.likelihood->class_names().empty())
    throw UsageError("--predictive probit: the probit approximation is for class labels, but the likelihood is " +
                     spec.likelihood->description() + "; use linearised");
  Model model(DType::f64);
  Mlp net = build_float64_model(f, spec, inputs, model);
  const int64_t D = model.flat_size();
  LaplaceOptions lo;
  // K-FAC adds the prior's precision to the factors, so it needs the N(0, sd) prior.
  const bool kron_applies = spec.mlp.prior == "normal";
  // The default: full up to kLaplaceFullLimit parameters (but not per layer, whose evidence
  // needs diag or kron), else kron.
  const bool small = D <= kLaplaceFullLimit && f.prior_structure != "layerwise";
  lo.hessian = f.hessian.empty() ? (small ? "full" : kron_applies ? "kron" : "diag") : f.hessian;
  if (lo.hessian == "kron" && !kron_applies)
    throw UsageError("--hessian kron: needs --prior normal (the prior's precision is added to the Kronecker factors; "
                     "a hierarchical prior's is learned); use --hessian diag or full");
  if (lo.hessian == "kron")
    lo.kronecker_factors = [&](std::span<const double> z) {
      return mlp_kronecker_factors(model, net, spec.mlp, *spec.likelihood, z, f.threads);
    };
  if (f.subset == "last_layer")
    for (const std::string& name : net.weight_names)
      if (name.size() > 4 && name.compare(name.size() - 4, 4, "_out") == 0) lo.subset.push_back(name);
  // The evidence's weights; a hierarchical prior learns its precisions in the model.
  if (spec.mlp.prior == "normal") lo.tuned_prior = lo.subset.empty() ? net.weight_names : lo.subset;
  if (f.prior_structure == "layerwise") {
    if (lo.hessian == "full")
      throw UsageError("--prior-structure layerwise: needs --hessian diag or kron (a full Hessian's evidence does not "
                       "separate by layer)");
    if (spec.mlp.prior != "normal")
      throw UsageError("--prior-structure layerwise: the hierarchical prior learns its own precision per layer");
    // A layer: its weight and the bias after it (build_mlp's order: w_..., b_...), among the
    // tuned weights (the last layer's alone with --subset last_layer).
    for (const std::string& name : lo.tuned_prior)
      if (name.rfind("w_", 0) == 0 || lo.prior_groups.empty())
        lo.prior_groups.push_back({name});
      else
        lo.prior_groups.back().push_back(name);
  }
  lo.prior_precision = 1.0 / (spec.mlp.prior_sd * spec.mlp.prior_sd);
  lo.threads = f.threads;
  lo.evidence_iterations = f.evidence_iterations;
  if (f.evidence_iterations > 0 && spec.mlp.prior != "normal")
    throw UsageError("--evidence-iterations: the hierarchical prior learns its precisions in the model; there is "
                     "no prior precision for the evidence to choose");
  if (f.max_iters_opt->count() > 0) lo.map.max_iters = f.max_iters;
  if (lo.hessian == "full" && f.subset == "all" && D > 20000)
    throw UsageError("--hessian full: the network has " + std::to_string(D) +
                     " parameters, and a full-rank q over all of them is too large; use --hessian kron or diag, or "
                     "--subset last_layer");
  std::printf("fitting: laplace (hessian %s over %s, %ld parameters), MAP by L-BFGS, prior precision by the "
              "Laplace evidence; %s predictive\n",
              lo.hessian.c_str(), f.subset == "all" ? "all the weights" : "the last layer", static_cast<long>(D),
              spec.predictive.c_str());
  std::fflush(stdout);
  auto t0 = Clock::now();
  LaplaceFit fit = fit_laplace(model, lo);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("MAP: %ld L-BFGS iterations, %ld evaluations (%s), log p %.6g%s\n", static_cast<long>(fit.map.iterations),
              static_cast<long>(fit.map.evaluations), fit.map.reason.c_str(), -fit.map.value,
              fit.evidence_iterations > 0
                  ? (", after " + std::to_string(fit.evidence_iterations) + " evidence iteration" +
                     (fit.evidence_iterations == 1 ? "" : "s")).c_str()
                  : "");
  const std::string kfac =
      lo.hessian == "kron" ? "Kronecker factors of " + std::to_string(fit.kronecker_blocks) + " layers and " : "";
  // "prior precision 4.18 (sd 0.489)", or one per layer.
  char buffer[64];
  std::string precision;
  if (fit.prior_precisions.size() > 1) {
    for (double p : fit.prior_precisions) {
      std::snprintf(buffer, sizeof buffer, "%s%.4g", precision.empty() ? "prior precisions per layer " : ", ", p);
      precision += buffer;
    }
  } else {
    std::snprintf(buffer, sizeof buffer, "prior precision %.4g (sd %.4g)", fit.prior_precision,
                  1 / std::sqrt(fit.prior_precision));
    precision = buffer;
  }
  std::printf("Hessian: %s%ld gradient evaluations%s; %s, log evidence %.6g\n", kfac.c_str(),
              static_cast<long>(fit.gradient_evaluations),
              fit.raised > 0 ? (", " + std::to_string(fit.raised) + (lo.hessian == "full" ? " eigenvalues" : " diagonal entries") +
                                " of the precision raised to the prior precision").c_str() : "",
              precision.c_str(), fit.log_evidence);
  std::printf("fitted: laplace in %.2f s\n", seconds);
  // The post-fit work costs less than the fit: the fit ran about one forward-and-backward pass
  // over all the rows per evaluation.
  FitFlags budget = f;
  budget.batch_given = false;
  budget.mc_samples = 1;
  const PostFitPlan post = plan_post_fit(budget, fit.map.evaluations + fit.gradient_evaluations, data.rows());
  report_training_fit(f, post, spec, data, *fit.q);
  const std::optional<ApproximationCheck> check = report_khat(f, post, spec, inputs, *fit.q);
  nlohmann::json fit_info = {{"train", f.train},
                             {"rows", data.rows()},
                             {"method", "laplace"},
                             {"hessian", lo.hessian},
                             {"subset", f.subset},
                             {"predictive", spec.predictive},
                             {"map_iterations", fit.map.iterations},
                             {"map_evaluations", fit.map.evaluations},
                             {"map_stopped", fit.map.reason},
                             {"log_p_at_mode", -fit.map.value},
                             {"hessian_evaluations", fit.gradient_evaluations},
                             {"raised_eigenvalues", fit.raised},
                             {"prior_precision", fit.prior_precision},
                             {"prior_structure", f.prior_structure},
                             {"evidence_iterations", fit.evidence_iterations},
                             {"prior_precisions", fit.prior_precisions},
                             {"log_evidence", fit.log_evidence},
                             {"seconds", seconds},
                             {"seed", f.seed}};
  save_optimised_fit(f, spec, inputs, *fit.q, fit_info, check ? std::optional<PsisResult>(check->psis) : std::nullopt,
                     check ? check->draws : 0);
}

// Pathfinder (docs/CLI.md, "Pathfinder"): L-BFGS paths on the float64 network over all the
// rows; path p starts at the usual initial weights drawn from the seed SEED + 1000 p.
void run_pathfinder_fit(FitFlags& f, const NetworkSpec& spec, const TrainingData& data, const ModelData& inputs) {
  Model model(DType::f64);
  build_float64_model(f, spec, inputs, model);
  const int64_t D = model.flat_size();
  PathfinderOptions po;
  po.paths = f.paths;
  po.resampling = pathfinder_resampling(f.resampling);
  // Every path starts at the network's own initial weights, path p's drawn from the seed
  // SEED + 1000 p (as ensemble members are): Stan's uniform(-2, 2) starts saturate the
  // units and end in worse modes (docs/DIAGNOSTICS.md).
  po.starts.push_back(model.initial_point());
  for (int p = 1; p < po.paths; ++p) {
    FitFlags path_flags = f;
    path_flags.seed = f.seed + 1000 * static_cast<uint64_t>(p);
    Model start_model(DType::f64);
    build_float64_model(path_flags, spec, inputs, start_model);
    po.starts.push_back(start_model.initial_point());
  }
  po.seed = f.seed;
  po.threads = f.threads;  // paths run in parallel on --threads
  if (f.max_iters_opt->count() > 0) po.lbfgs.max_iters = f.max_iters;
  std::printf("fitting: pathfinder (%d path%s, %ld parameters), L-BFGS with %d pairs, ELBO from %ld draws per point\n",
              po.paths, po.paths == 1 ? "" : "s", static_cast<long>(D), po.lbfgs.history,
              static_cast<long>(po.elbo_draws));
  std::fflush(stdout);
  auto t0 = Clock::now();
  PathfinderFit fit = fit_pathfinder(model, po);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  int64_t evaluations = 0;
  nlohmann::json paths = nlohmann::json::array();
  for (size_t p = 0; p < fit.paths.size(); ++p) {
    const PathfinderPath& path = fit.paths[p];
    evaluations += path.evaluations;
    std::printf("path %zu: %ld iterations (%s), best ELBO %.6g at iteration %ld%s\n", p, static_cast<long>(path.iterations),
                path.stopped.c_str(), path.best_elbo, static_cast<long>(path.best_iteration),
                path.rejected_updates > 0 ? (", " + std::to_string(path.rejected_updates) + " updates without curvature left out").c_str() : "");
    paths.push_back({{"iterations", path.iterations}, {"best_iteration", path.best_iteration}, {"best_elbo", path.best_elbo},
                     {"stopped", path.stopped}});
  }
  std::printf("fitted: pathfinder in %.2f s (%ld evaluations of log p)\n", seconds, static_cast<long>(evaluations));
  FitFlags budget = f;
  budget.batch_given = false;
  budget.mc_samples = 1;
  PostFitPlan post = plan_post_fit(budget, evaluations, data.rows());
  report_training_fit(f, post, spec, data, *fit.q);
  std::optional<PsisResult> psis = fit.psis;
  int64_t psis_draws = 0;
  if (fit.psis) {  // the k-hat of multi-path's pooled draws' weights, or of one path's draws
    psis_draws = static_cast<int64_t>(fit.psis->log_weights.size());
    std::printf("PSIS k-hat: %.2f, %s (pathfinder's %s %ld %s draws, ESS %.0f)\n", fit.psis->khat,
                khat_verdict(fit.psis->khat).c_str(), po.paths == 1 ? "normal," : "importance weights of",
                static_cast<long>(psis_draws), po.paths == 1 ? "of its" : "pooled", fit.psis->ess);
    if (po.paths > 1)
      std::printf("draws: %s\n", fit.resampled ? "resampled by their PSIS weights"
                                               : "the paths' draws with equal weight, not resampled (--resampling)");
  } else if (const std::optional<ApproximationCheck> check = report_khat(f, post, spec, inputs, *fit.q)) {
    psis = check->psis;
    psis_draws = check->draws;
  }
  nlohmann::json fit_info = {{"train", f.train},    {"rows", data.rows()},         {"method", "pathfinder"},
                             {"paths", paths},      {"evaluations", evaluations},  {"seconds", seconds},
                             {"seed", f.seed}};
  if (po.paths > 1) fit_info["resampled"] = fit.resampled;  // else the paths' draws, pooled
  save_optimised_fit(f, spec, inputs, *fit.q, fit_info, psis, psis_draws);
}

void write_loss_history(const std::string& path, const std::vector<double>& hist) {
  std::string text = "step,loss\n";
  char line[64];
  for (size_t i = 0; i < hist.size(); ++i) {
    std::snprintf(line, sizeof line, "%zu,%.17g\n", i + 1, hist[i]);
    text += line;
  }
  data::write_file_atomically(path, text);
  std::printf("loss history: %s (%zu steps)\n", path.c_str(), hist.size());
}

// --init pathfinder: the mean of single-path Pathfinder's best normal, from the usual
// initial weights, on the float64 network over all the rows.
Tensor pathfinder_start(const FitFlags& f, const NetworkSpec& spec, const ModelData& inputs) {
  Model model(DType::f64);
  build_float64_model(f, spec, inputs, model);
  PathfinderOptions po;
  po.paths = 1;
  po.starts = {model.initial_point()};
  po.seed = f.seed;
  po.make_q = false;
  po.elbo_draws = 5;  // the paper's K: only the mean is wanted, at a fifth of Stan's cost
  auto t0 = Clock::now();
  PathfinderFit fit = fit_pathfinder(model, po);
  const PathfinderPath& p = fit.paths[0];
  report("initialisation: pathfinder, %ld L-BFGS iterations (%s), best ELBO %.6g at iteration %ld, %.2f s\n",
         static_cast<long>(p.iterations), p.stopped.c_str(), p.best_elbo, static_cast<long>(p.best_iteration),
         std::chrono::duration<double>(Clock::now() - t0).count());
  return Tensor(DType::f64, {model.flat_size()}, p.best_mean);
}

// A data-parallel fit (docs/CLI.md, "Data-parallel fits"): --data-parallel, or any fit
// that `mpirun` launched. Each process reads its blocks of the NPY file; the statistics and
// every step's gradient are summed over the processes in fixed point, so the model file is
// the same, bit for bit, for any number of processes. Process 0 prints, writes the
// checkpoints and the model; an error on any process ends the whole job.
void check_data_parallel_flags(const FitFlags& f) {
  auto refuse = [](const std::string& what) {
    throw UsageError(what + " (a data-parallel fit: --data-parallel or mpirun)");
  };
  if (f.method != "advi" && f.method != "fullrank_advi" && f.method != "lowrank_advi" && f.method != "nfvi")
    refuse("--method " + f.method + ": only advi, fullrank_advi, lowrank_advi and nfvi run data-parallel");
  if (f.time_limit > 0) refuse("--time-limit: the processes' clocks would stop them at different steps");
  if (f.init == "pathfinder") refuse("--init pathfinder: Pathfinder does not run data-parallel");
  if (f.likelihood.empty())
    refuse("--likelihood: give it (" + join_names(likelihood_names()) +
           "); each process sees only its rows, so the likelihood is not inferred");
  const std::vector<std::string> paths = shard_paths(f.train);
  if (paths.size() > 1)
    for (const std::string& path : paths)
      if (!is_npy_path(path)) refuse("--train: " + path + " is not an NPY file; shards are NPY files");
  if (f.block_rows < 1) refuse("--block-rows: must be >= 1");
}

// A categorical likelihood over every process's labels: K is the largest label anywhere
// plus one, from per-label counts summed over the processes; each process's labels must be
// whole numbers in 0 .. 999.
std::unique_ptr<Likelihood> shared_categorical(const std::vector<double>& y, Communicator& comm) {
  constexpr int64_t kLabels = 1000;
  std::vector<FixedPoint> counts(kLabels, 0);
  for (size_t i = 0; i < y.size(); ++i) {
    const double v = y[i];
    if (!(v >= 0 && v < static_cast<double>(kLabels) && v == std::floor(v)))
      throw InvalidArgument("value " + std::to_string(v) + " in row " + std::to_string(i + 1) +
                            " of this process's rows is not a class label (a whole number in 0 .. 999)");
    counts[static_cast<size_t>(v)] += 1;
  }
  comm.allreduce_sum(counts);
  int64_t classes = 0;
  for (int64_t k = 0; k < kLabels; ++k)
    if (counts[static_cast<size_t>(k)] != 0) classes = k + 1;
  auto likelihood = make_likelihood("categorical", {{"classes", static_cast<double>(classes)}});
  if (std::string problem = likelihood->check_targets(y); !problem.empty()) throw InvalidArgument(problem);
  return likelihood;
}

// apply_recipe's report: by the process that prints (in a data-parallel fit, after the
// others are silenced).
void print_recipe(const FitFlags& f) {
  for (const std::string& line : f.recipe_report) std::printf("%s\n", line.c_str());
}

void run_data_parallel_fit(FitFlags& f, std::shared_ptr<Communicator> comm) {
  const int rank = comm->rank();
  const bool writer = rank == 0;
  if (!writer) {  // one report: process 0's
    std::fflush(stdout);
    if (!std::freopen("/dev/null", "w", stdout)) throw Error("cannot silence the standard output of process " +
                                                             std::to_string(rank));
  }
  print_recipe(f);
  CheckpointPlan plan = plan_checkpoints(f);
  check_data_parallel_flags(f);
  NetworkSpec spec = network_options(f, plan);
  RowShare share = read_row_share(f.train, f.block_rows, *comm);
  int64_t target = 0;
  try {
    target = data::column_index(share.table.columns, f.target);
  } catch (const InvalidArgument&) {
    throw UsageError("--target: '" + f.target + "' is neither a column name nor a 0-based column index of " + f.train +
                     "; the columns are: " + join_names(share.table.columns));
  }
  TrainingData data;
  data.checksum = shared_checksum(share, f.block_rows, *comm);
  if (plan.resumed && plan.resumed->data_checksum != data.checksum)
    throw FormatError(f.resume + ": the training data " + f.train +
                      " has changed since the checkpoint was written, or the checkpoint is not of a data-parallel "
                      "fit, so the fit cannot be continued");
  data.set = data::split_target(share.table, target);
  data.y.resize(static_cast<size_t>(data.rows()));
  for (int64_t r = 0; r < data.rows(); ++r) data.y[static_cast<size_t>(r)] = data.set.y[r];
  spec.target = data.set.target_name;
  spec.target_index = target;
  spec.features = data.set.feature_names;
  try {
    spec.likelihood = f.likelihood == "categorical" ? shared_categorical(data.y, *comm)
                                                     : likelihood_for_target(f.likelihood, data.y);
  } catch (const InvalidArgument& e) {
    throw FormatError(f.train + ": rows " + std::to_string(share.first_row) + " to " +
                      std::to_string(share.first_row + data.rows() - 1) + ": --likelihood " + f.likelihood +
                      " does not fit target '" + spec.target + "': " + e.what());
  }
  std::printf("data: %s, %ld rows, %ld features; target '%s'; %d process%s, blocks of %ld rows\n", f.train.c_str(),
              static_cast<long>(share.total_rows), static_cast<long>(spec.feature_count()), spec.target.c_str(),
              comm->size(), comm->size() == 1 ? "" : "es", static_cast<long>(f.block_rows));
  std::printf("likelihood: %s (as asked with --likelihood)\n", spec.likelihood->description().c_str());
  ModelData inputs = standardize(spec, data, comm.get(), share.total_rows);
  if (f.batch_given && f.batch_size > share.total_rows)
    throw UsageError("--batch-size: " + std::to_string(f.batch_size) + " is more than the " +
                     std::to_string(share.total_rows) + " rows of " + f.train);
  // The model holds this process's rows whole; the data-parallel fit draws the minibatches.
  FitFlags whole = f;
  whole.batch_given = false;
  Model model = build_model(whole, spec, inputs);
  DataParallelOptions dp;
  dp.communicator = comm;
  dp.row_data = {"x", "y"};
  dp.block_rows = f.block_rows;
  dp.first_block = share.first_block;
  if (f.batch_given) {
    dp.batch_rows = f.batch_size;
    dp.total_rows = share.total_rows;
    dp.batch_seed = f.seed + 1;
  }
  std::unique_ptr<Inference> inference = make_fit_inference(f, model, std::nullopt, dp);
  FitOutcome outcome = run_inference(f, plan, spec, model, *inference, data.checksum, writer);
  if (!writer) return;
  if (!f.loss_history.empty()) write_loss_history(f.loss_history, inference->hist());
  std::printf("training score and PSIS k-hat: not computed in a data-parallel fit (`elbo evaluate` and `elbo "
              "check` compute them on a data file)\n");
  save_model(f, spec, model, *inference, outcome, share.total_rows, std::nullopt);
}

// --ensemble K (docs/CLI.md, "Ensembles"): K fits of the network, member k with the seed
// SEED + 1000 k (its starting weights, noise and minibatches), one after the other, each
// with every flag of a single fit; the model is their equal-weight mixture (Mixture), whose
// draws pick a member at random. Member 0 is the fit that --ensemble 1 (the default) makes.
constexpr uint64_t kEnsembleSeedStride = 1000;

// The threads that `fits` independent fits of the recipe run side by side on: --threads, or,
// when it is not given, every core, at most one a fit (each fit then on one thread, a single
// fit's default). Their results do not depend on it (concurrent_fits.hpp).
int side_by_side_threads(const FitFlags& f, int64_t fits) {
  if (f.threads_opt->count() > 0) return f.threads;
  return static_cast<int>(std::clamp<int64_t>(fits, 1, core_count()));
}

void check_ensemble_flags(const FitFlags& f) {
  if (f.ensemble == 1) return;
  auto refuse = [](const std::string& what) { throw UsageError(what + " (with --ensemble)"); };
  if (f.method != "advi" && f.method != "fullrank_advi")
    refuse("--method " + f.method + ": an ensemble's members are advi or fullrank_advi fits (their mixture needs each "
           "member's density at a point)");
  if (launched_by_mpi() || f.data_parallel) refuse("--data-parallel: an ensemble is not fitted data-parallel");
  if (!f.resume.empty() || !f.checkpoint.empty() || f.every_opt->count() > 0)
    refuse("--resume/--checkpoint/--checkpoint-every: an ensemble's members are not checkpointed");
}

void run_ensemble_fit(FitFlags& f, const CheckpointPlan& plan, const NetworkSpec& spec, const TrainingData& data,
                      const ModelData& inputs) {
  // Each member's fit, filled in by its job (members run side by side on --threads).
  struct MemberFit {
    std::unique_ptr<Approximation> q;
    std::unique_ptr<Model> model;  // member 0's alone is kept: the file's network
    nlohmann::json info;
    std::string history;
    int64_t steps = 0;
    double last_loss = 0, base_lr = 0;
  };
  std::vector<MemberFit> fits(static_cast<size_t>(f.ensemble));
  const auto t0 = Clock::now();
  run_concurrent_fits(f.ensemble, side_by_side_threads(f, f.ensemble), [&](int64_t k, int threads) {
    FitFlags member = f;
    member.seed = f.seed + kEnsembleSeedStride * static_cast<uint64_t>(k);
    member.threads = threads;
    report("ensemble member %ld of %ld (seed %llu)\n", static_cast<long>(k + 1), static_cast<long>(f.ensemble),
           static_cast<unsigned long long>(member.seed));
    flush_report();
    auto model = std::make_unique<Model>(build_model(member, spec, inputs));
    const std::optional<Tensor> start =
        member.init == "pathfinder" ? std::optional<Tensor>(pathfinder_start(member, spec, inputs)) : std::nullopt;
    std::unique_ptr<Inference> inference = make_fit_inference(member, *model, start);
    const FitOutcome outcome = run_inference(member, plan, spec, *model, *inference, data.checksum);
    MemberFit& fit = fits[static_cast<size_t>(k)];
    fit.steps = inference->step();
    fit.last_loss = outcome.last_loss;
    fit.info = {{"seed", member.seed},
                {"steps", inference->step()},
                {"stopped", inference->last_fit().reason},
                {"mean_last_loss", outcome.last_loss},
                {"final_learning_rate", outcome.final_lr}};
    char line[96];
    for (size_t i = 0; i < inference->hist().size(); ++i) {
      std::snprintf(line, sizeof line, "%ld,%zu,%.17g\n", static_cast<long>(k), i + 1, inference->hist()[i]);
      fit.history += line;
    }
    fit.q = inference->approximation().clone();
    fit.base_lr = inference->optimizer().base_learning_rate();  // the same for every member
    if (k == 0) fit.model = std::move(model);
  });
  // The members in order. (An interrupted member ends the command in run_inference, so every
  // member here was fitted whole.)
  std::vector<std::unique_ptr<Approximation>> members;
  nlohmann::json member_info = nlohmann::json::array();
  int64_t steps = 0;
  double loss_sum = 0;
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();  // wall time
  double base_lr = 0;
  std::unique_ptr<Model> first_model = std::move(fits[0].model);
  std::string history = "member,step,loss\n";  // --loss-history: every member's losses
  for (MemberFit& fit : fits) {
    steps += fit.steps;
    loss_sum += fit.last_loss;
    member_info.push_back(std::move(fit.info));
    history += fit.history;
    members.push_back(std::move(fit.q));
    base_lr = fit.base_lr;
  }
  const int64_t fitted = static_cast<int64_t>(members.size());
  if (!f.loss_history.empty()) {
    data::write_file_atomically(f.loss_history, history);
    report("loss history: %s (%ld members)\n", f.loss_history.c_str(), static_cast<long>(fitted));
  }
  const Mixture q(std::move(members));
  report("ensemble: %ld members, %ld steps in all, %.2f s\n", static_cast<long>(fitted), static_cast<long>(steps),
         seconds);
  const PostFitPlan post = plan_post_fit(f, steps, data.rows());
  report_training_fit(f, post, spec, data, q);
  const std::optional<ApproximationCheck> check = report_khat(f, post, spec, inputs, q);
  nlohmann::json fit_info = {{"train", f.train},
                             {"rows", data.rows()},
                             {"method", f.method},
                             {"optimizer", f.optimizer},
                             {"learning_rate", base_lr},
                             {"final_learning_rate", member_info[0]["final_learning_rate"]},
                             {"lr_schedule", f.lr_schedule},
                             {"steps", steps},
                             {"stopped", std::string()},
                             {"mean_last_loss", loss_sum / static_cast<double>(fitted)},
                             {"mc_samples", f.mc_samples},
                             {"particles", int64_t{0}},
                             {"objective", f.objective},
                             {"beta", f.beta},
                             {"kl_warmup", f.kl_warmup},
                             {"batch_size", f.batch_given ? f.batch_size : data.rows()},
                             {"seed", f.seed},
                             {"recipe", f.recipe},
                             {"ensemble", fitted},
                             {"members", member_info}};
  if (!f.beta_selection.is_null()) fit_info["beta_selection"] = f.beta_selection;
  if (check) {
    fit_info["psis_khat"] = khat_json(check->psis.khat);
    fit_info["psis_ess"] = check->psis.ess;
    fit_info["psis_draws"] = check->draws;
  }
  save_approximation(f.out, *first_model, q,
                     {{network_metadata_key, to_json(spec)},
                      {"elbo.fit", fit_info.dump()},
                      {"elbo.version", ELBO_VERSION}});
  report("wrote %s\n", f.out.c_str());
}

// --beta auto (docs/CLI.md, the --beta row): the KL weight chosen from the training rows
// alone, as MC dropout's published figures chose their dropout rate and precision: a seeded
// 20 % of the rows is held out, the network is fitted on the rest with candidate betas
// (every other flag as given, the same seed), each fit is scored by its mean log predictive
// density on the held-out rows, and the best beta (the larger on a tie) is the one the fit
// on every row then uses. The standardiser's statistics are those of every training row.
//
// The candidates are the half-decade grid kBetaGrid, searched coarse to fine: first every
// other point (1, 0.1, 0.01, 0.001), then the two neighbours of the best of those. A noisy
// regression set chooses 1 or 0.3 where a small classifier's data want 0.001 or less
// (docs/QUALITY.md, "`--beta auto` on a wider grid"), so the range is wide, and the search
// keeps it to five or six fits instead of the grid's eight.
constexpr double kBetaGrid[] = {1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0003};
constexpr size_t kBetaCoarseStride = 2;
constexpr double kValidationFraction = 0.2;
constexpr int64_t kValidationDraws = 200;
constexpr int64_t kValidationMinRows = 10;

void choose_beta(FitFlags& f, const NetworkSpec& spec, const TrainingData& data, const ModelData& inputs) {
  if (!f.beta_auto) return;
  // A classifier's part is stratified: each class held out in proportion.
  const bool classes = !spec.likelihood->class_names().empty();
  const ValidationSplit split = split_for_validation(data.rows(), kValidationFraction, f.seed + 5,
                                                     classes ? std::span<const double>(data.y) : std::span<const double>());
  const int64_t held = static_cast<int64_t>(split.validation_rows.size());
  const int64_t fitted_rows = static_cast<int64_t>(split.fit_rows.size());
  // --beta auto not given came from the recipe: too few rows fall back to 1.
  if ((held < kValidationMinRows || fitted_rows < kValidationMinRows) && f.beta_opt->count() == 0) {
    report("beta: 1 (the recipe's --beta auto holds out %d %% of the training rows, at least %ld on each side; "
           "there are %ld rows)\n",
           static_cast<int>(100 * kValidationFraction), static_cast<long>(kValidationMinRows),
           static_cast<long>(data.rows()));
    f.beta_auto = false;
    return;
  }
  if (held < kValidationMinRows || fitted_rows < kValidationMinRows)
    throw UsageError("--beta auto: holds out " + std::to_string(static_cast<int>(100 * kValidationFraction)) +
                     " % of the training rows to choose beta, at least " + std::to_string(kValidationMinRows) +
                     " rows on each side, but " + f.train + " has " + std::to_string(data.rows()) +
                     " rows; give --beta a number");
  const ModelData part{inputs.x.gather_rows(split.fit_rows), inputs.y.gather_rows(split.fit_rows)};
  const Tensor validation_x = data.set.x.gather_rows(split.validation_rows);
  std::vector<double> validation_y(static_cast<size_t>(held));
  for (int64_t i = 0; i < held; ++i)
    validation_y[static_cast<size_t>(i)] = data.y[static_cast<size_t>(split.validation_rows[static_cast<size_t>(i)])];
  report("beta: auto, searched from 1 down to %g on a half-decade grid, each candidate fitted on %ld rows and "
         "scored on the other %ld (the mean log predictive density, %ld draws)\n",
         kBetaGrid[std::size(kBetaGrid) - 1], static_cast<long>(fitted_rows), static_cast<long>(held),
         static_cast<long>(kValidationDraws));
  flush_report();
  FitFlags candidate = f;
  candidate.beta_auto = false;
  candidate.stop_after = 0;  // the test hook stops the final fit, not the candidates
  if (candidate.batch_given) candidate.batch_size = std::min(candidate.batch_size, fitted_rows);
  const CheckpointPlan no_checkpoints;
  // Each grid point's score once fitted (NaN where its mlpd was not finite), and its steps.
  std::vector<std::optional<std::pair<double, int64_t>>> scored(std::size(kBetaGrid));
  // Fits and scores the grid points not yet scored among `at`, side by side on --threads.
  auto score = [&](std::vector<size_t> at) {
    std::erase_if(at, [&](size_t i) { return scored[i].has_value(); });
    run_concurrent_fits(static_cast<int64_t>(at.size()),
                        side_by_side_threads(f, static_cast<int64_t>(at.size())), [&](int64_t job, int threads) {
      FitFlags fit = candidate;
      fit.beta = kBetaGrid[at[static_cast<size_t>(job)]];
      fit.threads = threads;
      report("beta candidate %g:\n", fit.beta);
      flush_report();
      Model model = build_model(fit, spec, part);
      const std::optional<Tensor> start =
          fit.init == "pathfinder" ? std::optional<Tensor>(pathfinder_start(fit, spec, part)) : std::nullopt;
      std::unique_ptr<Inference> inference = make_fit_inference(fit, model, start);
      run_inference(fit, no_checkpoints, spec, model, *inference, data.checksum, /*writer=*/false);
      const double mlpd = validation_mlpd(spec, inference->approximation(), validation_x, validation_y,
                                          kValidationDraws, f.seed + 6, threads);
      report("beta candidate %g: validation mlpd %.4f\n", fit.beta, mlpd);
      scored[at[static_cast<size_t>(job)]] =
          std::make_pair(std::isfinite(mlpd) ? mlpd : std::numeric_limits<double>::quiet_NaN(), inference->step());
    });
  };
  // The best scored point so far: the highest mlpd, the larger beta (the lower index) on a tie.
  auto best = [&]() {
    std::optional<size_t> at;
    for (size_t i = 0; i < scored.size(); ++i)
      if (scored[i] && !std::isnan(scored[i]->first) && (!at || scored[i]->first > scored[*at]->first)) at = i;
    return at;
  };
  std::vector<size_t> coarse_points;
  for (size_t i = 0; i < std::size(kBetaGrid); i += kBetaCoarseStride) coarse_points.push_back(i);
  score(coarse_points);
  const std::optional<size_t> coarse = best();
  if (!coarse)
    throw NumericalError("--beta auto: no candidate's validation log predictive density is finite; give --beta a "
                         "number");
  std::vector<size_t> neighbours;
  if (*coarse > 0) neighbours.push_back(*coarse - 1);
  if (*coarse + 1 < std::size(kBetaGrid)) neighbours.push_back(*coarse + 1);
  score(neighbours);
  const size_t chosen = *best();
  f.beta = kBetaGrid[chosen];
  nlohmann::json scores = nlohmann::json::array();
  for (size_t i = 0; i < scored.size(); ++i)
    if (scored[i])
      scores.push_back({{"beta", kBetaGrid[i]},
                        {"validation_mlpd", std::isnan(scored[i]->first) ? nlohmann::json(nullptr)
                                                                        : nlohmann::json(scored[i]->first)},
                        {"steps", scored[i]->second}});
  report("beta: %g chosen (the highest validation mlpd)\n", f.beta);
  f.beta_auto = false;
  f.beta_selection = {{"validation_rows", held}, {"fit_rows", fitted_rows}, {"candidates", scores}};
}

// --recipe (fit_recipe.hpp): the flags not given take the recipe's values; prints what it
// chose and what it left out.
void apply_recipe(FitFlags& f) {
  const FitRecipe r = resolve_fit_recipe({.recipe = f.recipe,
                                          .method = f.method,
                                          .objective = f.objective,
                                          .data_parallel = f.data_parallel || launched_by_mpi(),
                                          .checkpointed = !f.checkpoint.empty() || f.checkpoint_every > 0,
                                          .time_limited = f.time_limit > 0,
                                          .step_cap = f.iters_given ? f.iters : f.max_iters,
                                          .likelihood_given = f.likelihood_opt->count() > 0,
                                          .beta_given = f.beta_opt->count() > 0,
                                          .kl_warmup_given = f.kl_warmup_opt->count() > 0,
                                          .ensemble_given = f.ensemble_opt->count() > 0});
  f.robust_likelihood = r.robust_likelihood;
  if (r.beta_auto) f.beta_auto = true;
  if (f.kl_warmup_opt->count() == 0) f.kl_warmup = r.kl_warmup;
  if (f.ensemble_opt->count() == 0) f.ensemble = r.ensemble;
  if (f.recipe != "ensemble") return;
  std::string chose;
  auto add = [&](const std::string& part) { chose += (chose.empty() ? "" : ", ") + part; };
  if (r.ensemble > 1) add(std::to_string(r.ensemble) + " members");
  if (r.beta_auto) add("--beta auto");
  if (r.kl_warmup > 0) add("a KL warm-up of " + std::to_string(r.kl_warmup) + " steps");
  if (r.robust_likelihood) add("a robust likelihood if the target is real");
  f.recipe_report.push_back("recipe: ensemble (" + (chose.empty() ? std::string("every part given by flags") : chose) +
                            "; --recipe single for one plain fit)");
  for (const std::string& why : r.left_out) f.recipe_report.push_back("recipe: " + why);
}

void run_fit(FitFlags& f) {
  check_ensemble_flags(f);
  if (launched_by_mpi() || f.data_parallel) {
    std::shared_ptr<Communicator> comm;
    try {
      comm = launched_by_mpi() ? mpi_world() : std::make_shared<SingleProcess>();
    } catch (const InvalidArgument& e) {
      throw UsageError(std::string("mpirun: ") + e.what());
    }
    if (comm->size() == 1) return run_data_parallel_fit(f, comm);
    try {
      run_data_parallel_fit(f, comm);
    } catch (const UsageError& e) {
      mpi_abort(2, "elbo fit: error on process " + std::to_string(comm->rank()) + " of " +
                       std::to_string(comm->size()) + ": " + e.what());
    } catch (const std::exception& e) {
      mpi_abort(1, "elbo fit: error on process " + std::to_string(comm->rank()) + " of " +
                       std::to_string(comm->size()) + ": " + e.what());
    }
    return;
  }
  print_recipe(f);
  if (f.method == "laplace" || f.method == "pathfinder") {
    CheckpointPlan plan = plan_checkpoints(f);
    NetworkSpec spec = network_options(f, plan);
    TrainingData data = load_training_data(f, plan, spec);
    choose_likelihood(f, spec, data);
    ModelData inputs = standardize(spec, data);
    choose_prior_scale(f, spec, inputs);
    if (f.method == "laplace")
      run_laplace_fit(f, spec, data, inputs);
    else
      run_pathfinder_fit(f, spec, data, inputs);
    return;
  }
  CheckpointPlan plan = plan_checkpoints(f);
  NetworkSpec spec = network_options(f, plan);
  TrainingData data = load_training_data(f, plan, spec);
  choose_likelihood(f, spec, data);
  ModelData inputs = standardize(spec, data);
  choose_prior_scale(f, spec, inputs);
  choose_beta(f, spec, data, inputs);
  if (f.ensemble > 1) return run_ensemble_fit(f, plan, spec, data, inputs);
  Model model = build_model(f, spec, inputs);
  // A resumed fit takes its state from the checkpoint; its start does not matter.
  const std::optional<Tensor> start =
      f.init == "pathfinder" && !plan.resumed ? std::optional<Tensor>(pathfinder_start(f, spec, inputs)) : std::nullopt;
  std::unique_ptr<Inference> inference = make_fit_inference(f, model, start);
  FitOutcome outcome = run_inference(f, plan, spec, model, *inference, data.checksum);
  if (!f.loss_history.empty()) write_loss_history(f.loss_history, inference->hist());
  const PostFitPlan post = plan_post_fit(f, inference->step(), data.rows());
  report_training_fit(f, post, spec, data, inference->approximation());
  const std::optional<ApproximationCheck> check = report_khat(f, post, spec, inputs, inference->approximation());
  save_model(f, spec, model, *inference, outcome, data.rows(), check);
}

}  // namespace

// "bernoulli: a binary target ...; ... (default: inferred from the target)".
std::string likelihood_help() {
  std::string text;
  for (const LikelihoodEntry& e : likelihood_entries()) text += (text.empty() ? "" : "; ") + e.name + ": " + e.summary;
  return text + " (default: inferred from the target)";
}

Command add_fit_command(CLI::App& app) {
  auto f = std::make_shared<FitFlags>();
  CLI::App* sub = app.add_subcommand("fit", "Fit a Bayesian MLP to a CSV or NPY file by variational inference");
  auto& shaping = f->shaping;
  // --train and --out are required unless --resume gives them (checked in run_fit).
  f->train_opt = sub->add_option("--train", f->train, "Training data: CSV with a header row, or a 2-D NPY array (required)");
  shaping.push_back(f->train_opt);
  f->out_opt = sub->add_option("--out", f->out, "Model file to write (required; with --resume: default the checkpoint's)");
  shaping.push_back(sub->add_option("--target", f->target, "Target column: name or 0-based index (default: the last column)"));
  f->likelihood_opt = sub->add_option("--likelihood", f->likelihood, likelihood_help())
                          ->check(CLI::IsMember(likelihood_names()));
  shaping.push_back(f->likelihood_opt);
  shaping.push_back(sub->add_option("--recipe", f->recipe,
                                    "ensemble: a robust likelihood for a real target, --beta auto after a KL "
                                    "warm-up, five members (advi, fullrank_advi); single: one fit at beta 1, a "
                                    "normal likelihood for a real target (PyMC's ADVI). Flags given win over it")
                        ->capture_default_str()
                        ->check(CLI::IsMember(fit_recipe_names())));
  shaping.push_back(sub->add_option("--hidden", f->hidden, "Hidden layer widths, comma-separated")->capture_default_str());
  shaping.push_back(sub->add_option("--activation", f->activation, "Hidden activation")
                        ->capture_default_str()
                        ->check(CLI::IsMember({"tanh", "relu"})));
  shaping.push_back(
      sub->add_flag("--bias,!--no-bias", f->bias, "Biases on every layer (default on; --no-bias is the tutorial's network)"));
  shaping.push_back(sub->add_option("--prior-sd", f->prior_sd, "sd of the N(0, sd) prior on every weight")
                        ->capture_default_str()
                        ->check(positive_number()));
  shaping.push_back(
      sub->add_option("--prior-scale", f->prior_scale,
                      "fixed: the weights' prior sd is --prior-sd; evidence: empirical Bayes, the sd that a Laplace fit's "
                      "evidence chooses from the training data (MacKay's iterations; diagonal Hessian up to 4000 "
                      "parameters, else Kronecker factors), then the fit with it (--prior normal)")
          ->capture_default_str()
          ->check(CLI::IsMember({"fixed", "evidence"})));
  shaping.push_back(sub->add_option("--prior", f->prior,
                                    "normal: N(0, --prior-sd) on every weight; hierarchical: each layer's weights "
                                    "N(0, lambda^-1/2) with a learned precision lambda ~ Gamma(6, 6) (PBP's prior)")
                        ->capture_default_str()
                        ->check(CLI::IsMember({"normal", "hierarchical"})));
  shaping.push_back(sub->add_option("--method", f->method,
                                    "Inference: advi (mean-field), fullrank_advi, lowrank_advi (diagonal plus "
                                    "rank-K factor), nfvi (normalizing flow), svgd (Stein particles), asvgd "
                                    "(mean-field trained by the Stein direction), laplace (a Gaussian at the MAP "
                                    "with the Hessian's curvature), pathfinder (normals along L-BFGS paths)")
                        ->capture_default_str()
                        ->check(CLI::IsMember({"advi", "fullrank_advi", "lowrank_advi", "nfvi", "svgd", "asvgd",
                                               "laplace", "pathfinder"})));
  f->ensemble_opt = sub->add_option("--ensemble", f->ensemble,
                                    "advi, fullrank_advi: fit K members from the seeds SEED, SEED + 1000, ... and "
                                    "keep their equal-weight mixture (an ensemble of VI fits; default: --recipe's)")
                        ->check(positive_integer());
  shaping.push_back(f->ensemble_opt);
  f->paths_opt = sub->add_option("--paths", f->paths,
                                 "pathfinder: paths; 1 gives the best normal (full-rank), more the draws of all "
                                 "paths (Stan's default 4; --resampling)")
                     ->capture_default_str()
                     ->check(positive_integer());
  shaping.push_back(f->paths_opt);
  f->resampling_opt = sub->add_option("--resampling", f->resampling,
                                      "pathfinder, several paths: psis (resample the pooled draws by their "
                                      "Pareto-smoothed importance weights, Stan's default), pooled (every path's "
                                      "draws with equal weight) or auto (psis when its k-hat is below 0.7, else "
                                      "pooled)")
                          ->capture_default_str()
                          ->check(CLI::IsMember({"auto", "psis", "pooled"}));
  shaping.push_back(f->resampling_opt);
  f->init_opt = sub->add_option("--init", f->init,
                                "Where the fit's means start: default (seeded weights) or pathfinder (the mean of "
                                "single-path Pathfinder's best normal, from there)")
                    ->capture_default_str()
                    ->check(CLI::IsMember({"default", "pathfinder"}));
  shaping.push_back(f->init_opt);
  f->hessian_opt = sub->add_option("--hessian", f->hessian,
                                   "laplace: full (a full-rank Gaussian), diag (its diagonal, mean-field) or kron "
                                   "(Kronecker-factored Gauss-Newton blocks per layer, K-FAC); default full up to " +
                                       std::to_string(kLaplaceFullLimit) +
                                       " parameters (and not with --prior-structure layerwise), else kron (diag "
                                       "with --prior hierarchical)")
                       ->check(CLI::IsMember({"full", "diag", "kron"}));
  shaping.push_back(f->hessian_opt);
  f->subset_opt = sub->add_option("--subset", f->subset,
                                  "laplace: last_layer (the output layer's weights, laplace-torch's default; the "
                                  "others stay at the MAP) or all (every weight; its sampled predictive is poor "
                                  "for networks, docs/CLI.md)")
                      ->capture_default_str()
                      ->check(CLI::IsMember({"all", "last_layer"}));
  shaping.push_back(f->subset_opt);
  f->predictive_opt = sub->add_option("--predictive", f->predictive,
                                      "laplace: linearised (the network linearised in its weights at the MAP, the "
                                      "GLM predictive; the default with --subset all), probit (its probit "
                                      "approximation for class labels: no draws) or sampled (the network itself at "
                                      "each draw; the default with last_layer, where it equals linearised)")
                          ->check(CLI::IsMember({"linearised", "probit", "sampled"}));
  shaping.push_back(f->predictive_opt);
  f->prior_structure_opt =
      sub->add_option("--prior-structure", f->prior_structure,
                      "laplace: scalar (one prior precision for every weight, chosen by the evidence) or layerwise "
                      "(one per layer, laplace-torch's; --hessian diag or kron)")
          ->capture_default_str()
          ->check(CLI::IsMember({"scalar", "layerwise"}));
  shaping.push_back(f->prior_structure_opt);
  f->evidence_iterations_opt =
      sub->add_option("--evidence-iterations", f->evidence_iterations,
                      "laplace: MacKay's evidence framework: find the MAP again under the precisions the evidence "
                      "chose, and choose again, up to N times (until none moves by 1 %); 0 chooses them once, "
                      "after the MAP (laplace-torch's post hoc)")
          ->capture_default_str()
          ->check(CLI::Range(0, 100));
  shaping.push_back(f->evidence_iterations_opt);
  f->particles_opt = sub->add_option("--particles", f->particles,
                                     "svgd: the number of particles; asvgd: draws per step (default 100, PyMC's "
                                     "SVGD; asvgd's --mc-samples, when given, must agree)")
                         ->capture_default_str()
                         ->check(at_least(2));
  shaping.push_back(f->particles_opt);
  f->rank_opt = sub->add_option("--rank", f->rank,
                                "lowrank_advi: rank K of the factor (default: round(sqrt(parameters)), NumPyro's)")
                    ->check(positive_integer());
  shaping.push_back(f->rank_opt);
  f->flow_opt = sub->add_option("--flow", f->flow,
                                "nfvi: flow formula, PyMC's syntax: layers planar, radial, hh, loc, scale, iaf joined by "
                                "'-', repeated with *N, the first applied first (default: scale-loc, PyMC's; e.g. "
                                "scale-planar*8-loc)")
                    ->check(flow_formula_text());
  shaping.push_back(f->flow_opt);
  f->optimizer_opt = sub->add_option("--optimizer", f->optimizer, "Optimizer (PyMC's names)")
                         ->capture_default_str()
                         ->check(CLI::IsMember(optimizer_names()));
  shaping.push_back(f->optimizer_opt);
  f->lr_opt = sub->add_option("--lr", f->lr,
                              "Learning rate (default: 0.01 for adam, else the optimizer's PyMC default)")
                  ->check(positive_number());
  shaping.push_back(f->lr_opt);
  shaping.push_back(f->schedule_opt = sub->add_option("--lr-schedule", f->lr_schedule,
                                    "plateau: halve the learning rate when the loss stops falling beyond its noise "
                                    "(until converged: the plateau after the last cut ends the fit); constant: keep "
                                    "it (until converged: Stan's relative ELBO and PyMC's parameter tests)")
                        ->capture_default_str()
                        ->check(CLI::IsMember({"plateau", "constant"})));
  shaping.push_back(f->init_scale_opt = sub->add_option("--init-scale", f->init_scale,
                                    "The approximation's initial sigma for every weight (NumPyro's init_scale; "
                                    "not fullrank_advi, which starts at PyMC's identity)")
                        ->capture_default_str()
                        ->check(positive_number()));
  f->time_limit_opt = sub->add_option("--time-limit", f->time_limit,
                                      "Stop the steps after this many seconds of fitting (then score and write as "
                                      "usual)")
                          ->check(positive_number());
  f->iters_opt = sub->add_option("--iters", f->iters, "Exactly this many steps (default: until converged)")
                     ->check(positive_integer());
  shaping.push_back(f->iters_opt);
  f->max_iters_opt = sub->add_option("--max-iters", f->max_iters,
                                     "Cap on the steps when fitting until converged (laplace, pathfinder: on the "
                                     "L-BFGS iterations, default 2000 and 1000)")
                         ->capture_default_str()
                         ->check(positive_integer());
  shaping.push_back(f->max_iters_opt);
  f->batch_opt = sub->add_option("--batch-size", f->batch_size, "Minibatch rows per step (default: full batch)")
                     ->check(positive_integer());
  shaping.push_back(f->batch_opt);
  f->mc_opt = sub->add_option("--mc-samples", f->mc_samples, "Monte Carlo draws per step (obj_n_mc)")
                  ->capture_default_str()
                  ->check(positive_integer());
  shaping.push_back(f->mc_opt);
  f->objective_opt = sub->add_option("--objective", f->objective,
                                    "What the fit minimises: kl (the negative ELBO), renyi:ALPHA (Renyi bound, "
                                    "ALPHA >= 0, not 1; its particles are --mc-samples) or iwae:K (importance-"
                                    "weighted bound with K particles, setting --mc-samples to K)")
                        ->capture_default_str()
                        ->check(objective_text());
  shaping.push_back(f->objective_opt);
  f->beta_opt = sub->add_option("--beta", f->beta_text,
                                "Weight of the KL part of the ELBO (PyMC's KLqp beta; --objective kl): below 1 "
                                "the likelihood counts more than the prior (q approximates the posterior of the "
                                "likelihood raised to 1/beta: narrower, sharper predictions), 1 is the ELBO "
                                "(docs/QUALITY.md measures the trade-off); auto: chosen from 1 down to 0.0003 (a "
                                "half-decade grid, searched coarse to fine) by the log predictive density on "
                                "20 % of the training rows held out, then fitted on every row")
                    ->capture_default_str()
                    ->check(positive_number() | CLI::IsMember({"auto"}));
  shaping.push_back(f->beta_opt);
  f->kl_warmup_opt = sub->add_option("--kl-warmup", f->kl_warmup,
                                     "KL warm-up: over the first N steps the KL part's weight rises linearly "
                                     "from beta/N to beta (0: none); the stopping tests judge the loss only "
                                     "after them")
                         ->capture_default_str()
                         ->check(CLI::NonNegativeNumber);
  shaping.push_back(f->kl_warmup_opt);
  shaping.push_back(sub->add_option("--dtype", f->dtype, "Precision of the network")
                        ->capture_default_str()
                        ->check(CLI::IsMember({"float32", "float64"})));
  shaping.push_back(sub->add_option("--seed", f->seed, "Random seed (initial weights, draws, minibatches)")
                        ->capture_default_str()
                        ->check(non_negative_integer()));
  f->threads_opt = sub->add_option("--threads", f->threads,
                                   "Threads (the same results for any; --beta auto's candidates and --ensemble's "
                                   "members run up to this many at a time)")->capture_default_str()->check(positive_integer());
  f->psis_opt = sub->add_option("--psis-draws", f->psis_draws,
                                "Draws for the PSIS k-hat computed after the fit (0: none; else at least 25; "
                                "default: up to 1000, as many as cost less than the fit, at least 100)")
      ->capture_default_str()
      ->check(zero_or_at_least(25));
  shaping.push_back(sub->add_flag("--no-standardize", f->no_standardize,
                                  "Use inputs (and a normal target) as given instead of standardising them"));
  f->every_opt = sub->add_option("--checkpoint-every", f->checkpoint_every,
                                 "Write a checkpoint every N steps (atomically), to continue with --resume")
                     ->check(positive_integer());
  f->checkpoint_opt = sub->add_option("--checkpoint", f->checkpoint, "Checkpoint file (default: MODEL.ckpt)");
  sub->add_option("--loss-history", f->loss_history,
                  "Also write every step's loss (PyMC's inference.hist, the minibatch scale) to this CSV file "
                  "(columns step, loss; written atomically)");
  sub->add_flag("--data-parallel", f->data_parallel,
                "Fit block by block with exact sums, as a data-parallel fit over `mpirun` processes does (the same "
                "model file for any process count; implied under mpirun)");
  sub->add_option("--block-rows", f->block_rows, "Rows per block of a data-parallel fit")
      ->capture_default_str()
      ->check(positive_integer());
  sub->add_option("--resume", f->resume,
                  "Continue the fit saved in this checkpoint, bitwise as if it had not stopped");
  // For tests: stop (as if killed) after this many steps in all, leaving the checkpoints.
  sub->add_option("--stop-after", f->stop_after)->group("")->check(positive_integer());
  return {sub, [f] {
            f->lr_given = f->lr_opt->count() > 0;
            f->iters_given = f->iters_opt->count() > 0;
            f->batch_given = f->batch_opt->count() > 0;
            if (f->rank_opt->count() > 0 && f->method != "lowrank_advi")
              throw UsageError("--rank: applies to --method lowrank_advi only (the method is " + f->method + ")");
            if (f->flow_opt->count() > 0 && f->method != "nfvi")
              throw UsageError("--flow: applies to --method nfvi only (the method is " + f->method + ")");
            if (f->method != "laplace") {
              if (f->hessian_opt->count() > 0)
                throw UsageError("--hessian: applies to --method laplace only (the method is " + f->method + ")");
              if (f->subset_opt->count() > 0)
                throw UsageError("--subset: applies to --method laplace only (the method is " + f->method + ")");
              if (f->predictive_opt->count() > 0)
                throw UsageError("--predictive: applies to --method laplace only (the method is " + f->method + ")");
              if (f->evidence_iterations_opt->count() > 0)
                throw UsageError("--evidence-iterations: applies to --method laplace only (the method is " +
                                 f->method + ")");
              if (f->prior_structure_opt->count() > 0)
                throw UsageError("--prior-structure: applies to --method laplace only (the method is " + f->method +
                                 ")");
            }
            if (f->prior_scale == "evidence") {
              if (f->prior != "normal")
                throw UsageError("--prior-scale evidence: chooses the sd of --prior normal; the hierarchical prior "
                                 "learns its precisions in the model");
              if (f->method == "laplace")
                throw UsageError("--prior-scale evidence: --method laplace chooses its prior precision by the "
                                 "evidence itself; use --evidence-iterations");
              if (f->data_parallel || launched_by_mpi())
                throw UsageError("--prior-scale evidence: not in a data-parallel fit (its Laplace fit needs every "
                                 "row in one process); give --prior-sd");
            }
            if (f->method == "fullrank_advi" && f->init_scale_opt->count() > 0)
              throw UsageError("--init-scale: fullrank_advi starts at PyMC's identity Cholesky factor; it applies to "
                               "the other families");
            f->beta_auto = f->beta_text == "auto";
            if (!f->beta_auto) f->beta = std::stod(f->beta_text);  // checked: a positive finite number
            if (f->beta_auto && (f->data_parallel || launched_by_mpi()))
              throw UsageError("--beta auto: not in a data-parallel fit (its validation part needs every row in one "
                               "process); give --beta a number");
            if (f->beta_opt->count() > 0 || f->kl_warmup > 0) {
              const std::string flag = f->beta_opt->count() > 0 ? "--beta" : "--kl-warmup";
              if (f->method == "laplace" || f->method == "pathfinder" || f->method == "svgd" || f->method == "asvgd")
                throw UsageError(flag + ": weighs the KL part of the ELBO that advi, fullrank_advi, lowrank_advi "
                                 "and nfvi minimise (the method is " + f->method + ")");
              if (f->objective != "kl")
                throw UsageError(flag + ": applies to --objective kl (the objective is " + f->objective + ")");
            }
            if (f->method != "pathfinder" && f->paths_opt->count() > 0)
              throw UsageError("--paths: applies to --method pathfinder only (the method is " + f->method + ")");
            if (f->resampling_opt->count() > 0 && (f->method != "pathfinder" || f->paths == 1))
              throw UsageError("--resampling: applies to --method pathfinder with more than one path (the method is " +
                               f->method + (f->method == "pathfinder" ? ", --paths 1" : "") + ")");
            if ((f->method == "laplace" || f->method == "pathfinder") && f->init_opt->count() > 0)
              throw UsageError("--init: " + f->method + " has no steps to start (the method is " + f->method + ")");
            if (f->method == "laplace" || f->method == "pathfinder") {
              const std::pair<CLI::Option*, const char*> steps_only[] = {
                  {f->optimizer_opt, "--optimizer"}, {f->lr_opt, "--lr"},         {f->iters_opt, "--iters"},
                  {f->batch_opt, "--batch-size"},    {f->mc_opt, "--mc-samples"}, {f->objective_opt, "--objective"},
                  {f->every_opt, "--checkpoint-every"}, {f->schedule_opt, "--lr-schedule"},
                  {f->init_scale_opt, "--init-scale"}, {f->time_limit_opt, "--time-limit"}};
              for (const auto& [opt, name] : steps_only)
                if (opt->count() > 0)
                  throw UsageError(std::string(name) + ": " + f->method + " runs L-BFGS on all the rows and takes "
                                   "no step options");
              if (!f->resume.empty()) throw UsageError("--resume: " + f->method + " writes no checkpoints");
              if (!f->loss_history.empty())
                throw UsageError("--loss-history: " + f->method + " takes no steps, so it has no loss history");
              if (f->method == "pathfinder" && f->paths > 1 && f->psis_opt->count() > 0)
                throw UsageError("--psis-draws: multi-path pathfinder's k-hat is that of its --paths x 1000 pooled "
                                 "draws' importance weights; --psis-draws applies with --paths 1");
            }
            const bool stein = f->method == "svgd" || f->method == "asvgd";
            if (f->particles_opt->count() > 0 && !stein)
              throw UsageError("--particles: applies to --method svgd or asvgd only (the method is " + f->method +
                               ")");
            if (f->objective_opt->count() > 0 && stein)
              throw UsageError("--objective: " + f->method + " follows the Stein direction; it takes no objective");
            if (f->method == "svgd" && f->mc_opt->count() > 0)
              throw UsageError("--mc-samples: svgd evaluates every particle each step; set --particles instead");
            if (f->method == "asvgd") {
              if (f->mc_opt->count() > 0 && f->particles_opt->count() > 0 && f->mc_samples != f->particles)
                throw UsageError("--particles: " + std::to_string(f->particles) + " draws per step, but --mc-samples "
                                 "is " + std::to_string(f->mc_samples));
              if (f->mc_opt->count() == 0) f->mc_samples = f->particles;
              if (f->mc_samples < 2)
                throw UsageError("--mc-samples: asvgd needs at least 2 draws a step (the Stein direction's "
                                 "repulsion needs pairs)");
            }
            long long particles = 0;
            parse_objective(f->objective, &particles);  // checked above: cannot throw
            if (particles > 0) {
              if (f->mc_opt->count() > 0 && f->mc_samples != particles)
                throw UsageError("--objective: " + f->objective + " takes " + std::to_string(particles) +
                                 " particles, but --mc-samples is " + std::to_string(f->mc_samples));
              f->mc_samples = particles;
            }
            if (f->resume.empty()) apply_recipe(*f);  // a resumed fit has its checkpoint's choices
            run_fit(*f);
          }};
}

}  // namespace elbo::cli
