#pragma once
// The CLI's one exception of its own: the command line asks for something that cannot be
// done (a bad flag value, an unknown target column, a missing output directory). main()
// prints its message and exits with 2; every other elbo::Error exits with 1.
#include <stdexcept>
#include <string>

namespace elbo::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace elbo::cli
