#pragma once
// One exception family for every layer of elbo. Messages say where, which argument, the
// value, and what was expected.
#include <stdexcept>
#include <string>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Base of every exception elbo throws for a user's mistake or a bad file or value.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A user-facing argument has a bad value (a non-positive scale, an unknown name...).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// Shapes that do not fit an operation.
class ShapeError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// A NaN or inf where a finite number is needed (during fitting, in data).
class NumericalError : public Error {
 public:
  using Error::Error;
};

/// A file that cannot be read or parsed; the message names file, line and column.
class FormatError : public Error {
 public:
  using Error::Error;
};

/// A broken internal invariant: a bug in elbo, never a user error, so it is not an Error
/// (catching Error does not swallow it). The message names the source file and line.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace elbo
ELBO_API_END
