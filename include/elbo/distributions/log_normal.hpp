#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// LogNormal(mu, sigma): log x ~ Normal(mu, sigma);
/// log p(x) = -((log x - mu) / sigma)^2 / 2 - log(sigma) - log(2 pi) / 2 - log x.
/// Support positive, log transform; central point the mean exp(mu + sigma^2 / 2).
std::shared_ptr<const Distribution> log_normal(Expr mu, Expr sigma);

}  // namespace elbo
ELBO_API_END
