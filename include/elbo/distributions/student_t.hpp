#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// StudentT(nu, mu, sigma): log p(x) = lgamma((nu + 1) / 2) - lgamma(nu / 2)
/// - log(nu pi) / 2 - log(sigma) - (nu + 1) / 2 log(1 + ((x - mu) / sigma)^2 / nu).
/// Support real; central point mu. A random nu uses the composed lgamma (distribution.hpp).
std::shared_ptr<const Distribution> student_t(Expr nu, Expr mu, Expr sigma);

}  // namespace elbo
ELBO_API_END
