#pragma once
// The model layer: random variables, data containers, minibatches, compiled log p.
#include "elbo/model/batch_source.hpp"
#include "elbo/model/logp_program.hpp"
#include "elbo/model/minibatch.hpp"
#include "elbo/model/model.hpp"
#include "elbo/model/param.hpp"
#include "elbo/model/stream_source.hpp"
#include "elbo/model/variables.hpp"
