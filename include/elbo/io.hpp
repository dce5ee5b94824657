#pragma once
// The io layer: saving and loading fitted approximations.
#include "elbo/io/approximation_file.hpp"
#include "elbo/io/saved_approximation.hpp"
