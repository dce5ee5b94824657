#pragma once
// The results layer: traces and summaries, posterior predictive, compiled predictors.
#include "elbo/predict/posterior.hpp"
#include "elbo/predict/predictor.hpp"
#include "elbo/predict/trace.hpp"
