#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Binomial(n, p): log p(k) = lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
/// + k log(p) + (n - k) log(1 - p) (the k log(p) term is 0 at k = 0, and likewise at
/// k = n). Support non-negative integers; central point floor(n p). Observed counts
/// above a constant n are rejected by check_observed.
std::shared_ptr<const Distribution> binomial(Expr n, Expr p);

}  // namespace elbo
ELBO_API_END
