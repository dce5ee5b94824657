#pragma once
// The `elbo` command line as a function: what main() runs, and what the Python package's
// estimators and its `elbo` console script call in-process. Messages go to stdout and
// stderr as the program's would. Returns the exit code: 0 ok, 1 runtime error, 2 usage
// error.
#include <string>
#include <vector>

namespace elbo::cli {

/// Runs `elbo args...` (args excludes the program name).
int run_cli(const std::vector<std::string>& args);

}  // namespace elbo::cli
