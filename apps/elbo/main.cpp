// `elbo`: fit Bayesian neural networks to CSV or NPY data by variational inference, predict
// with them, and run the PyMC3 tutorial as a demo. Exit codes: 0 ok, 1 runtime error,
// 2 usage error. See docs/CLI.md.
#include <string>
#include <vector>

#include "run_cli.hpp"

int main(int argc, char** argv) { return elbo::cli::run_cli(std::vector<std::string>(argv + 1, argv + argc)); }
