#pragma once
// Helpers of the data tests: a private temporary directory and message assertions.
#include <gtest/gtest.h>
#include "support/temp_dir.hpp"
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace elbo::data::test {

/// A fresh directory under ::testing::TempDir(), removed with everything in it.
class TempDir : public elbo::testing::TempDir {
 public:
  TempDir() : elbo::testing::TempDir("elbo_data_") {}
};

/// The what() of the E that `f` throws; a test failure (and "") when it throws nothing.
/// Exceptions of other types propagate and fail the test.
template <class E, class F>
std::string thrown_message(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception, but none was thrown";
  return "";
}

}  // namespace elbo::data::test
