#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Exponential(lam), rate lam: log p(x) = log(lam) - lam x, x >= 0.
/// Support positive, log transform; central point the mean 1 / lam.
std::shared_ptr<const Distribution> exponential(Expr lam);

}  // namespace elbo
ELBO_API_END
