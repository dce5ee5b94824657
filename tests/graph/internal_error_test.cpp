// A broken internal invariant is not a user error: ELBO_ASSERT throws InternalError, which
// catching elbo::Error does not swallow, and its message names the file and line.
#include <gtest/gtest.h>

#include <string>
#include <type_traits>

#include "elbo/graph/error.hpp"
#include "graph/assert_impl.hpp"

namespace elbo {
namespace {

static_assert(!std::is_base_of_v<Error, InternalError>, "an internal error is not a user error");
static_assert(std::is_base_of_v<std::exception, InternalError>);

void check(bool ok) { ELBO_ASSERT(ok); }

TEST(internal_error, assert_throws_internal_error_naming_file_line_and_condition) {
  EXPECT_NO_THROW(check(true));
  const int line = __LINE__ - 4;  // the ELBO_ASSERT in check()
  try {
    check(false);
    FAIL() << "no exception";
  } catch (const Error&) {
    FAIL() << "caught as a user error";
  } catch (const InternalError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("internal_error_test.cpp:" + std::to_string(line) + ": internal check failed: ok"),
              std::string::npos)
        << what;
  }
}

}  // namespace
}  // namespace elbo
