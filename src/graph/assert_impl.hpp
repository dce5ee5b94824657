#pragma once
// The library's check of its own invariants; never used for user input. Private: users
// see only the InternalError it throws (elbo/graph/error.hpp).
#include <string>

#include "elbo/graph/error.hpp"

/// Throws elbo::InternalError naming file and line when `cond` is false.
#define ELBO_ASSERT(cond)                                                                   \
  do {                                                                                      \
    if (!(cond))                                                                            \
      throw ::elbo::InternalError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                  ": internal check failed: " #cond);                       \
  } while (0)
