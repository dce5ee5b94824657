#pragma once
// What `elbo fit` stores in the model file besides the variational parameters, and how the
// other commands rebuild the fitted network from it. Everything predict needs is here (no
// training data): the network options, the likelihood's name and settings, the feature and
// target names, the standardiser statistics and the dtype. It is stored as JSON text under the
// metadata key "elbo.network" (see docs/CLI.md for the fields).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "elbo/io/saved_approximation.hpp"
#include "elbo/bnn/likelihood.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/bnn/predictive_draws.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"

namespace elbo::cli {

/// The metadata key of the network description.
inline constexpr const char* network_metadata_key = "elbo.network";
/// Version of the JSON layout under that key. 2: the likelihood's settings are an object
/// "likelihood_settings" (1 had the fields "classes" and "noise_prior_sd"; still read).
/// 3: a "predictive" other than "sampled" (a file without it predicts as before, so it is
/// still written as 2, and an elbo that predates 3 refuses only the files it would misread).
inline constexpr int network_format_version = 3;

struct NetworkSpec {
  MlpOptions mlp;  ///< total_size and the init fields are not stored (fitting only)
  std::shared_ptr<const Likelihood> likelihood;
  DType dtype = DType::f32;
  std::vector<std::string> features;  ///< feature column names, in model input order
  std::string target;                 ///< target column name in the training file
  int64_t target_index = 0;           ///< its 0-based column index in the training file
  /// Inputs are fed as (x - x_mean) / x_sd; identity when not standardised.
  std::vector<double> x_mean, x_sd;
  /// A likelihood that standardises its target: the network models (y - y_mean) / y_sd.
  double y_mean = 0, y_sd = 1;
  bool standardized = true;
  /// Where predictions come from: "sampled" (the network itself at each draw; files
  /// without the field), "linearised" (the network linearised in its weights at q's mean,
  /// Laplace's GLM predictive: build_mlp's linearize_at) or "probit" (the probit
  /// approximation of the linearised predictive, for class labels: probit_predictive).
  std::string predictive = "sampled";
  /// Whether predictions use the network linearised at q's mean (linearised or probit).
  bool linearized() const { return predictive != "sampled"; }

  int64_t feature_count() const { return static_cast<int64_t>(features.size()); }
  TargetScale target_scale() const { return {y_mean, y_sd}; }
  /// "2 -> 5 -> 5 -> 1"
  std::string layers() const;
};

/// "N(0, 1) priors" or "hierarchical priors (N(0, lambda^-1/2), lambda ~ Gamma(6, 6) per layer)".
std::string prior_description(const MlpOptions& mlp);

/// The JSON text stored in the metadata.
std::string to_json(const NetworkSpec& spec);
/// Parses it back. Throws FormatError naming `source` when a field is missing or invalid.
NetworkSpec network_spec_from_json(const std::string& text, const std::string& source);

/// A network rebuilt from a model file, ready to predict.
struct LoadedNetwork {
  NetworkSpec spec;
  SavedApproximation saved;
  std::unique_ptr<Model> model;  ///< x and y are data containers "x", "y"
  Mlp net;
  std::unique_ptr<Approximation> q;
  /// With spec.predictive "linearised": the linearised network that predictions draw from
  /// (predictive_draws); null otherwise. model and net stay the network itself (its log p,
  /// for k-hat; the probit's native passes).
  std::unique_ptr<Model> linearized_model;
  Mlp linearized_net;
};

/// spec.mlp, and with spec.linearized() the expansion point: q's mean at every weight and
/// bias of `net` (built on `model`).
MlpOptions predictive_mlp(const NetworkSpec& spec, const Model& model, const Mlp& net, const Approximation& q);

/// Builds n.model and n.net from n.spec: build_mlp on one-row placeholders `x` and `y`, as a
/// model file's network is rebuilt. Throws InvalidArgument for an invalid description.
void rebuild_network(LoadedNetwork& n);

/// Loads `path` (io::load_approximation: FormatError for a missing, truncated, corrupted or
/// foreign file), reads the network description, rebuilds the model with build_mlp on a
/// dummy x of the right width, checks that it matches the saved variables and makes the
/// approximation.
LoadedNetwork load_network(const std::string& path);

/// x in the model's input space: the feature columns standardised as in training, in the
/// model's dtype.
Tensor model_inputs(const NetworkSpec& spec, const Tensor& features);

/// draw_predictive at raw `features` [rows, F], in the target's units (the linearised
/// network's with spec.predictive "linearised"; with "probit", probit_predictive's one
/// deterministic draw, whatever `draws` and `seed`).
PredictiveDraws predictive_draws(const LoadedNetwork& network, const Tensor& features, int64_t draws, uint64_t seed,
                                 int threads = 1);

}  // namespace elbo::cli
