#pragma once
// Everything elbo offers, in one include.
#include "elbo/bnn.hpp"
#include "elbo/data.hpp"
#include "elbo/distributions.hpp"
#include "elbo/graph.hpp"
#include "elbo/io.hpp"
#include "elbo/model.hpp"
#include "elbo/plot.hpp"
#include "elbo/predict.hpp"
#include "elbo/transforms.hpp"
#include "elbo/vi.hpp"
