#pragma once
// Bayesian neural networks: the MLP builder, likelihoods, posterior predictive draws,
// metrics and calibration.
#include "elbo/bnn/calibration.hpp"
#include "elbo/bnn/likelihood.hpp"
#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/bnn/metric.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/bnn/predictive_draws.hpp"
