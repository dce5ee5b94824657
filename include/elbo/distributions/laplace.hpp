#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Laplace(mu, b): log p(x) = -log(2 b) - |x - mu| / b. Support real; central point mu.
std::shared_ptr<const Distribution> laplace(Expr mu, Expr b);

}  // namespace elbo
ELBO_API_END
