#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Poisson(mu): log p(k) = k log(mu) - mu - lgamma(k + 1). Support non-negative
/// integers; central point floor(mu). Constant mu must be finite and >= 0.
std::shared_ptr<const Distribution> poisson(Expr mu);

}  // namespace elbo
ELBO_API_END
