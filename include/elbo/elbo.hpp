#pragma once
// Everything elbo offers, in one include.
#include "elbo/graph.hpp"
