#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Cauchy(alpha, beta), location alpha and scale beta:
/// log p(x) = -log(pi) - log(beta) - log(1 + ((x - alpha) / beta)^2).
/// Support real; central point the median alpha (the mean does not exist).
std::shared_ptr<const Distribution> cauchy(Expr alpha, Expr beta);

}  // namespace elbo
ELBO_API_END
