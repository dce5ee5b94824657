// elbo._core: the C++ library as a CPython extension. The Python package (python/elbo/)
// builds its PyMC-style API on these classes and functions.
#include "bindings.hpp"

NB_MODULE(_core, m) {
  m.doc() = "elbo's C++ library (use the elbo package, not this module)";
  elbo::python::bind_errors(m);
  elbo::python::bind_expressions(m);
  elbo::python::bind_model(m);
  elbo::python::bind_inference(m);
  elbo::python::bind_pathfinder_laplace(m);
  elbo::python::bind_posterior(m);
  elbo::python::bind_network(m);
}
