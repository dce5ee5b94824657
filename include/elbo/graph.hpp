#pragma once
// The engine layer: tensors, graphs, compiled programs, random numbers.
#include "elbo/graph/dtype.hpp"
#include "elbo/graph/error.hpp"
#include "elbo/graph/graph.hpp"
#include "elbo/graph/log.hpp"
#include "elbo/graph/ops.hpp"
#include "elbo/graph/program.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/graph/shape.hpp"
#include "elbo/graph/tensor.hpp"
