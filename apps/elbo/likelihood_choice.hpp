#pragma once
// Which likelihood fits a target column, and whether a target's values fit a likelihood.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace elbo::cli {

struct LikelihoodChoice {
  std::string likelihood;  ///< "bernoulli", "categorical" or "normal"
  int64_t classes = 0;     ///< 2 for bernoulli, K for categorical, 0 for normal
  std::string reason;      ///< why, for the log: "the target holds only 0 and 1"
};

/// The default: only 0 and 1 -> bernoulli; the integers 0..K-1, each present, with K > 2
/// -> categorical with K classes; anything else -> normal.
LikelihoodChoice infer_likelihood(std::span<const double> y);

/// The likelihood asked for with --likelihood, checked against the target: bernoulli needs
/// 0/1 values, categorical whole numbers >= 0 (K = max + 1, at least 2). Returns nullopt
/// and sets `problem` ("value 2 in row 7 is not 0 or 1") when they do not fit.
std::optional<LikelihoodChoice> choose_likelihood(const std::string& likelihood, std::span<const double> y,
                                                  std::string& problem);

/// Checks targets against a fitted network's likelihood (for evaluate): returns "" or what
/// is wrong ("value 3 in row 12 is not a class of this 3-class network").
std::string check_targets(const std::string& likelihood, int64_t classes, std::span<const double> y);

}  // namespace elbo::cli
