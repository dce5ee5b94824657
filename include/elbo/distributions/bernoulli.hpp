#pragma once
// One distribution, two parameterisations (PyMC's p= and logit_p=).
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Bernoulli(p): log p(x) = log(p) if x = 1, log(1 - p) if x = 0. Support binary; central
/// point the mode (1 if p >= 1/2). If p is a sigmoid(z) node, logp is computed from z as
/// bernoulli_logit does, so it stays finite where p rounds to 0 or 1 (the rewrite PyMC's
/// graph optimiser makes).
std::shared_ptr<const Distribution> bernoulli(Expr p);

/// Bernoulli by log-odds z: log p(x) = log_sigmoid(z) if x = 1, log_sigmoid(-z) if x = 0,
/// computed as log_sigmoid(z) + (x - 1) z. Parameter name "logit_p"; name() is "Bernoulli".
std::shared_ptr<const Distribution> bernoulli_logit(Expr logit_p);

}  // namespace elbo
ELBO_API_END
