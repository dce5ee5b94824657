#include "elbo/bnn/likelihood.hpp"

namespace elbo {

void Likelihood::to_target_units(PredictiveDraws&, TargetScale) const {}

}  // namespace elbo
