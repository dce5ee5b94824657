#pragma once
// The likelihoods a network can have, by name (one line per likelihood in
// src/bnn/likelihood_registry.cpp), and the one a target implies.
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "elbo/bnn/likelihood.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

struct LikelihoodEntry {
  std::string name;
  std::string summary;  ///< one line for help texts: "counts, log link"
  /// Why the target alone implies this likelihood ("the target holds only the labels 0 and
  /// 1"), or nullopt; null when it is never inferred. Entries are asked in registry order.
  std::function<std::optional<std::string>(std::span<const double> y)> infer;
  /// This likelihood for target `y`, as asked for by name. Throws InvalidArgument with
  /// what does not fit, naming the row ("value 2 in data row 7 is not 0 or 1").
  std::function<std::unique_ptr<Likelihood>(std::span<const double> y)> for_target;
  /// As a model file stores it. Throws InvalidArgument for a missing or bad setting.
  std::function<std::unique_ptr<Likelihood>(const LikelihoodSettings& settings)> from_settings;
};

/// Every likelihood, in registry order.
const std::vector<LikelihoodEntry>& likelihood_entries();
/// Their names, in registry order.
std::vector<std::string> likelihood_names();
/// The entry called `name`. Throws InvalidArgument naming it and listing the names.
const LikelihoodEntry& find_likelihood(const std::string& name);

/// The likelihood a target implies, with why.
struct InferredLikelihood {
  std::unique_ptr<Likelihood> likelihood;
  std::string reason;
};
/// The first entry whose infer accepts `y` (the last entry, normal, accepts any target).
InferredLikelihood infer_likelihood(std::span<const double> y);

/// find_likelihood(name).for_target(y).
std::unique_ptr<Likelihood> likelihood_for_target(const std::string& name, std::span<const double> y);
/// find_likelihood(name).from_settings(settings).
std::unique_ptr<Likelihood> make_likelihood(const std::string& name, const LikelihoodSettings& settings = {});

}  // namespace elbo
ELBO_API_END
