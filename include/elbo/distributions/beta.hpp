#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Beta(alpha, beta): log p(x) = lgamma(alpha + beta) - lgamma(alpha) - lgamma(beta)
/// + (alpha - 1) log(x) + (beta - 1) log(1 - x).
/// Support the unit interval, logodds transform; central point alpha / (alpha + beta).
std::shared_ptr<const Distribution> beta(Expr alpha, Expr beta);

}  // namespace elbo
ELBO_API_END
