#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// HalfCauchy(beta): log p(x) = log(2 / pi) - log(beta) - log(1 + (x / beta)^2), x >= 0.
/// Support positive, log transform; central point the median beta.
std::shared_ptr<const Distribution> half_cauchy(Expr beta);

}  // namespace elbo
ELBO_API_END
