// Skips the whole binary when the CLI was not built (ELBO_BUILD_APPS=OFF).
#include <filesystem>

#include <gtest/gtest.h>

#include "app/cli_runner.hpp"

namespace elbo::app_test {
namespace {

class CliBinary : public ::testing::Environment {
 public:
  void SetUp() override {
    if (std::string(ELBO_CLI).empty() || !std::filesystem::exists(ELBO_CLI))
      GTEST_SKIP() << "the elbo binary was not built (ELBO_BUILD_APPS=OFF)";
  }
};

const auto* const environment = ::testing::AddGlobalTestEnvironment(new CliBinary);

}  // namespace
}  // namespace elbo::app_test
