#pragma once
// One distribution, two parameterisations (probabilities and logits).
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Categorical(p) over labels 0..K-1: p has shape [..., K] (one row of K weights per
/// value, or one row [K] for all), the value holds integer labels of shape [...], and
/// log p(k) = log(p_k) - log(sum_j p_j) per row (PyMC normalises p). The label lookup is
/// a one-hot mask built in the graph, so the log-probability is differentiable in p.
/// Support categorical; central point the mode. Throws InvalidArgument if p is a scalar.
std::shared_ptr<const Distribution> categorical(Expr p);

/// Categorical by unnormalised log-probabilities: log p(k) = logits_k - logsumexp(logits)
/// per row. Parameter name "logits"; name() is "Categorical".
std::shared_ptr<const Distribution> categorical_logits(Expr logits);

}  // namespace elbo
ELBO_API_END
