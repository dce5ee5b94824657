#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Normal(mu, sigma): log p(x) = -((x - mu) / sigma)^2 / 2 - log(sigma) - log(2 pi) / 2.
/// Support real, no transform. Constant parameters: mu finite, sigma finite and > 0.
/// Throws InvalidArgument for empty expressions or parameters from different graphs.
std::shared_ptr<const Distribution> normal(Expr mu, Expr sigma);

}  // namespace elbo
ELBO_API_END
