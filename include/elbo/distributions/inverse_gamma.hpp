#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// InverseGamma(alpha, beta), shape alpha and scale beta (1 / x ~ Gamma(alpha, beta)):
/// log p(x) = alpha log(beta) - lgamma(alpha) - (alpha + 1) log(x) - beta / x.
/// Support positive, log transform; central point the mean beta / (alpha - 1) for
/// alpha > 1, else the mode beta / (alpha + 1).
std::shared_ptr<const Distribution> inverse_gamma(Expr alpha, Expr beta);

}  // namespace elbo
ELBO_API_END
