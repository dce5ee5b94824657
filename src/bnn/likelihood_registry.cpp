#include "elbo/bnn/likelihood_registry.hpp"

#include "elbo/graph/error.hpp"

namespace elbo {

// One line per likelihood: X(name), its entry being <name>_likelihood_entry() in
// src/bnn/likelihoods/<name>.cpp. The order is the inference's: the first whose `infer`
// accepts a target wins, and normal, last, accepts any.
#define ELBO_LIKELIHOODS(X)    \
  X(bernoulli)                 \
  X(categorical)               \
  X(poisson)                   \
  X(student_t)                 \
  X(heteroscedastic_normal)    \
  X(heteroscedastic_student_t) \
  X(normal)

#define ELBO_DECLARE_ENTRY(name) LikelihoodEntry name##_likelihood_entry();
ELBO_LIKELIHOODS(ELBO_DECLARE_ENTRY)
#undef ELBO_DECLARE_ENTRY

const std::vector<LikelihoodEntry>& likelihood_entries() {
#define ELBO_LIST_ENTRY(name) name##_likelihood_entry(),
  static const std::vector<LikelihoodEntry> entries = {ELBO_LIKELIHOODS(ELBO_LIST_ENTRY)};
#undef ELBO_LIST_ENTRY
  return entries;
}

std::vector<std::string> likelihood_names() {
  std::vector<std::string> names;
  for (const LikelihoodEntry& e : likelihood_entries()) names.push_back(e.name);
  return names;
}

const LikelihoodEntry& find_likelihood(const std::string& name) {
  for (const LikelihoodEntry& e : likelihood_entries())
    if (e.name == name) return e;
  std::string names;
  for (const LikelihoodEntry& e : likelihood_entries()) names += (names.empty() ? "" : ", ") + e.name;
  throw InvalidArgument("likelihood '" + name + "' is not one of " + names);
}

InferredLikelihood infer_likelihood(std::span<const double> y) {
  for (const LikelihoodEntry& e : likelihood_entries()) {
    if (!e.infer) continue;
    if (std::optional<std::string> reason = e.infer(y)) return {e.for_target(y), *reason};
  }
  throw InvalidArgument("infer_likelihood: no likelihood accepts the target");  // normal accepts any
}

std::unique_ptr<Likelihood> likelihood_for_target(const std::string& name, std::span<const double> y) {
  return find_likelihood(name).for_target(y);
}

std::unique_ptr<Likelihood> make_likelihood(const std::string& name, const LikelihoodSettings& settings) {
  return find_likelihood(name).from_settings(settings);
}

}  // namespace elbo
