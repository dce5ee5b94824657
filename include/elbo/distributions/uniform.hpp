#pragma once
#include <memory>

#include "elbo/distributions/distribution.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Uniform(lower, upper): log p(x) = -log(upper - lower) on [lower, upper], -inf outside.
/// Support interval, interval transform; central point the midpoint. The bounds must be
/// constants with a single value each (the transform needs numbers): InvalidArgument
/// "Uniform: argument 'lower' must be a constant with one value" otherwise.
std::shared_ptr<const Distribution> uniform(Expr lower, Expr upper);

}  // namespace elbo
ELBO_API_END
