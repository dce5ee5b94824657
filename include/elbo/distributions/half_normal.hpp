#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// HalfNormal(sigma): log p(x) = log(2 / pi) / 2 - log(sigma) - (x / sigma)^2 / 2, x >= 0.
/// Support positive, log transform; central point the mean sigma sqrt(2 / pi).
std::shared_ptr<const Distribution> half_normal(Expr sigma);

}  // namespace elbo
ELBO_API_END
