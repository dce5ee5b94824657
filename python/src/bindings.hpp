#pragma once
// The parts of the extension module elbo._core, one per concept. Each adds its classes and
// functions to the module; module.cpp calls them in dependency order.
#include <nanobind/nanobind.h>

namespace elbo::python {

namespace nb = nanobind;

void bind_errors(nb::module_& m);       // C++ exceptions as Python exception types
void bind_expressions(nb::module_& m);  // Expr, its operators and the math functions
void bind_model(nb::module_& m);        // Model, distributions, data containers
void bind_inference(nb::module_& m);    // the step methods (ADVI ...) and their fit loop
void bind_pathfinder_laplace(nb::module_& m);  // the two optimisation-based approximations
void bind_posterior(nb::module_& m);    // draws, posterior predictive, compiled predictors
void bind_network(nb::module_& m);      // the command line in-process, and its model files

}  // namespace elbo::python
