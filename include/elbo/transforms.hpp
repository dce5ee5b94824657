#pragma once
// The transforms layer: bijections to unconstrained space with their log-Jacobians.
#include "elbo/transforms/interval_transform.hpp"
#include "elbo/transforms/log_transform.hpp"
#include "elbo/transforms/logodds_transform.hpp"
#include "elbo/transforms/transform.hpp"
