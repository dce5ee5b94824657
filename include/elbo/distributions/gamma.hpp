#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Gamma(alpha, beta), shape alpha and rate beta (PyMC's):
/// log p(x) = alpha log(beta) - lgamma(alpha) + (alpha - 1) log(x) - beta x.
/// Support positive, log transform; central point the mean alpha / beta. A random alpha
/// uses the composed lgamma (distribution.hpp). Draws by Marsaglia and Tsang.
std::shared_ptr<const Distribution> gamma(Expr alpha, Expr beta);

}  // namespace elbo
ELBO_API_END
