#include "json_field.hpp"
#include "network_file.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/bnn/probit_predictive.hpp"
#include "elbo/data/standardizer.hpp"
#include "elbo/graph/error.hpp"
#include "elbo/io/approximation_file.hpp"

namespace elbo::cli {

using nlohmann::json;

std::string prior_description(const MlpOptions& mlp) {
  char text[128];
  if (mlp.prior == "hierarchical")
    std::snprintf(text, sizeof text, "hierarchical priors (N(0, lambda^-1/2), lambda ~ Gamma(%g, %g) per layer)",
                  mlp.precision_shape, mlp.precision_rate);
  else
    std::snprintf(text, sizeof text, "N(0, %g) priors", mlp.prior_sd);
  return text;
}

std::string to_json(const NetworkSpec& s) {
  json j;
  j["format"] = s.predictive == "sampled" ? 2 : network_format_version;
  j["hidden"] = s.mlp.hidden;
  j["activation"] = s.mlp.activation;
  j["bias"] = s.mlp.bias;
  j["prior_sd"] = s.mlp.prior_sd;
  j["prior"] = s.mlp.prior;
  j["precision_shape"] = s.mlp.precision_shape;
  j["precision_rate"] = s.mlp.precision_rate;
  j["likelihood"] = s.likelihood->name();
  j["likelihood_settings"] = json::object();
  for (const auto& [name, value] : s.likelihood->settings()) j["likelihood_settings"][name] = value;
  j["dtype"] = std::string(dtype_name(s.dtype));
  j["features"] = s.features;
  j["target"] = s.target;
  j["target_index"] = s.target_index;
  j["standardized"] = s.standardized;
  j["x_mean"] = s.x_mean;
  j["x_sd"] = s.x_sd;
  j["y_mean"] = s.y_mean;
  j["y_sd"] = s.y_sd;
  j["predictive"] = s.predictive;
  return j.dump();
}

namespace {

[[noreturn]] void bad(const std::string& source, const std::string& detail) {
  invalid_json(source, "the network description", detail);
}

template <class T>
T field(const json& j, const char* key, const std::string& source) {
  return json_field<T>(j, key, source, "the network description");
}

}  // namespace

NetworkSpec network_spec_from_json(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    bad(source, std::string("not JSON (") + e.what() + ")");
  }
  if (!j.is_object()) bad(source, "not a JSON object");
  int format = field<int>(j, "format", source);
  if (format > network_format_version)
    throw FormatError(source + ": network description version " + std::to_string(format) +
                      " is newer than this elbo supports (" + std::to_string(network_format_version) + ")");
  NetworkSpec s;
  s.mlp.hidden = field<std::vector<int64_t>>(j, "hidden", source);
  s.mlp.activation = field<std::string>(j, "activation", source);
  s.mlp.bias = field<bool>(j, "bias", source);
  s.mlp.prior_sd = field<double>(j, "prior_sd", source);
  // Absent before --prior: those networks had N(0, prior_sd) priors.
  s.mlp.prior = j.value("prior", std::string("normal"));
  s.mlp.precision_shape = j.value("precision_shape", 6.0);
  s.mlp.precision_rate = j.value("precision_rate", 6.0);
  const std::string likelihood = field<std::string>(j, "likelihood", source);
  LikelihoodSettings settings;
  if (format >= 2) {
    json object = field<json>(j, "likelihood_settings", source);
    if (!object.is_object()) bad(source, "likelihood_settings is not an object");
    for (const auto& [name, value] : object.items()) {
      if (!value.is_number()) bad(source, "likelihood setting '" + name + "' is not a number");
      settings[name] = value.get<double>();
    }
  } else {  // format 1 stored these two for every likelihood
    settings["classes"] = static_cast<double>(field<int64_t>(j, "classes", source));
    settings["noise_prior_sd"] = field<double>(j, "noise_prior_sd", source);
  }
  try {
    s.likelihood = make_likelihood(likelihood, settings);
  } catch (const InvalidArgument& e) {
    bad(source, e.what());
  }
  std::string dtype = field<std::string>(j, "dtype", source);
  if (dtype == "float32")
    s.dtype = DType::f32;
  else if (dtype == "float64")
    s.dtype = DType::f64;
  else
    bad(source, "dtype '" + dtype + "' is not float32 or float64");
  s.features = field<std::vector<std::string>>(j, "features", source);
  s.target = field<std::string>(j, "target", source);
  s.target_index = field<int64_t>(j, "target_index", source);
  s.standardized = field<bool>(j, "standardized", source);
  s.x_mean = field<std::vector<double>>(j, "x_mean", source);
  s.x_sd = field<std::vector<double>>(j, "x_sd", source);
  s.y_mean = field<double>(j, "y_mean", source);
  s.y_sd = field<double>(j, "y_sd", source);
  // Absent before the linearised predictive: sampled.
  s.predictive = j.value("predictive", std::string("sampled"));
  if (s.predictive != "sampled" && s.predictive != "linearised" && s.predictive != "probit")
    bad(source, "predictive '" + s.predictive + "' is not sampled, linearised or probit");
  if (s.predictive == "probit" && s.likelihood->class_names().empty())
    bad(source, "predictive 'probit' needs a likelihood of class labels, not " + s.likelihood->name());

  if (s.features.empty()) bad(source, "no features");
  if (s.x_mean.size() != s.features.size() || s.x_sd.size() != s.features.size())
    bad(source, "x_mean and x_sd must have one entry per feature");
  for (size_t i = 0; i < s.x_sd.size(); ++i)
    if (!std::isfinite(s.x_mean[i]) || !(s.x_sd[i] > 0) || !std::isfinite(s.x_sd[i]))
      bad(source, "feature '" + s.features[i] + "' has a bad mean or sd");
  if (!std::isfinite(s.y_mean) || !(s.y_sd > 0) || !std::isfinite(s.y_sd)) bad(source, "bad y_mean or y_sd");
  if (s.target_index < 0 || s.target_index > s.feature_count()) bad(source, "target_index out of range");
  return s;
}

void rebuild_network(LoadedNetwork& n) {
  n.model = std::make_unique<Model>(n.spec.dtype);
  const int64_t F = n.spec.feature_count();
  Expr x = n.model->data("x", Tensor(n.spec.dtype, {1, F}));
  Expr y = n.model->data("y", Tensor(n.spec.dtype, {1}));
  n.net = build_mlp(*n.model, x, y, n.spec.mlp, *n.spec.likelihood);
}

LoadedNetwork load_network(const std::string& path) {
  LoadedNetwork n;
  n.saved = load_approximation(path);
  auto it = n.saved.metadata.find(network_metadata_key);
  if (it == n.saved.metadata.end())
    throw FormatError(path + ": not a network fitted by `elbo fit` (its metadata has no '" +
                      std::string(network_metadata_key) + "' entry)");
  n.spec = network_spec_from_json(it->second, path);
  const int64_t F = n.spec.feature_count();
  try {
    rebuild_network(n);
  } catch (const InvalidArgument& e) {
    throw FormatError(path + ": the network description is invalid: " + e.what());
  }
  try {
    check_compatible(n.saved, *n.model);
  } catch (const InvalidArgument& e) {
    throw FormatError(std::string(e.what()) + " (the file does not match its network description)");
  }
  n.q = make_approximation(n.saved);
  if (n.spec.predictive == "linearised") {
    n.linearized_model = std::make_unique<Model>(n.spec.dtype);
    Expr lx = n.linearized_model->data("x", Tensor(n.spec.dtype, {1, F}));
    Expr ly = n.linearized_model->data("y", Tensor(n.spec.dtype, {1}));
    n.linearized_net = build_mlp(*n.linearized_model, lx, ly, predictive_mlp(n.spec, *n.model, n.net, *n.q),
                                 *n.spec.likelihood);
  }
  return n;
}

MlpOptions predictive_mlp(const NetworkSpec& spec, const Model& model, const Mlp& net, const Approximation& q) {
  MlpOptions mlp = spec.mlp;
  if (!spec.linearized()) return mlp;
  const std::vector<double> mean = q.mean();
  for (const FreeVariable& v : model.free_variables())
    if (std::find(net.weight_names.begin(), net.weight_names.end(), v.name) != net.weight_names.end())
      mlp.linearize_at[v.name] = Tensor(DType::f64, v.shape, std::span<const double>(mean).subspan(v.offset, v.size));
  return mlp;
}

Tensor model_inputs(const NetworkSpec& spec, const Tensor& features) {
  return data::Standardizer(spec.x_mean, spec.x_sd).transform(features.to(DType::f64)).to(spec.dtype);
}

PredictiveDraws predictive_draws(const LoadedNetwork& n, const Tensor& features, int64_t draws, uint64_t seed,
                                 int threads) {
  if (n.spec.predictive == "probit")
    return probit_predictive(*n.model, n.net, n.spec.mlp, *n.spec.likelihood, *n.q, model_inputs(n.spec, features));
  const bool linear = n.linearized_model != nullptr;
  return draw_predictive(linear ? *n.linearized_model : *n.model, *n.q, linear ? n.linearized_net : n.net,
                         *n.spec.likelihood, model_inputs(n.spec, features), draws, seed, threads,
                         n.spec.target_scale());
}

std::string NetworkSpec::layers() const {
  std::string text = std::to_string(feature_count());
  for (int64_t h : mlp.hidden) text += " -> " + std::to_string(h);
  return text + " -> " + std::to_string(likelihood->outputs());
}

}  // namespace elbo::cli
