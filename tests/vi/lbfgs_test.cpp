// L-BFGS against known minima. Tolerances are far above the rounding of the problems and far
// below any wrong answer: the iterations stop on tol_rel_obj (about 2e-12 relative).
#include "elbo/vi/lbfgs.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "elbo/graph/error.hpp"
#include "support/expect_throw_msg.hpp"

namespace elbo {
namespace {

TEST(lbfgs, finds_the_minimum_of_rosenbrocks_valley) {
  auto f = [](std::span<const double> x, std::span<double> g) {
    const double a = 1 - x[0], b = x[1] - x[0] * x[0];
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
    return a * a + 100 * b * b;
  };
  const double x0[2] = {-1.2, 1.0};
  LbfgsResult r = lbfgs_minimize(f, x0, {.tol_grad = 1e-10});
  EXPECT_TRUE(r.converged) << r.reason;
  EXPECT_NEAR(r.x[0], 1.0, 1e-5);
  EXPECT_NEAR(r.x[1], 1.0, 1e-5);
  EXPECT_LT(r.iterations, 100);
}

TEST(lbfgs, solves_an_ill_conditioned_quadratic_and_reports_a_decreasing_path) {
  // f = 1/2 sum c_i (x_i - i)^2 with c from 1 to 1000 (condition number 1000), 50 dims.
  const int n = 50;
  auto f = [&](std::span<const double> x, std::span<double> g) {
    double v = 0;
    for (int i = 0; i < n; ++i) {
      const double c = std::pow(1000.0, i / (n - 1.0)), e = x[i] - i;
      g[i] = c * e;
      v += 0.5 * c * e * e;
    }
    return v;
  };
  std::vector<double> x0(n, 0.0), values;
  int64_t last = -1;
  LbfgsResult r = lbfgs_minimize(f, x0, {.history = 8}, [&](const LbfgsIterate& it) {
    EXPECT_EQ(it.iteration, last + 1);
    last = it.iteration;
    values.push_back(it.value);
  });
  EXPECT_TRUE(r.converged) << r.reason;
  for (int i = 0; i < n; ++i) EXPECT_NEAR(r.x[i], i, 1e-4) << i;
  ASSERT_EQ(static_cast<int64_t>(values.size()), r.iterations + 1);
  for (size_t k = 1; k < values.size(); ++k) EXPECT_LT(values[k], values[k - 1]) << "iteration " << k;
}

TEST(lbfgs, backs_off_where_the_objective_is_not_defined) {
  // f = x - log x, undefined for x <= 0; from x = 10 the first full step lands below 0.
  auto f = [](std::span<const double> x, std::span<double> g) {
    if (x[0] <= 0) return std::numeric_limits<double>::infinity();
    g[0] = 1 - 1 / x[0];
    return x[0] - std::log(x[0]);
  };
  const double x0[1] = {10};
  LbfgsResult r = lbfgs_minimize(f, x0);
  EXPECT_TRUE(r.converged) << r.reason;
  EXPECT_NEAR(r.x[0], 1.0, 1e-5);
}

TEST(lbfgs, names_bad_options_and_a_non_finite_start) {
  auto f = [](std::span<const double> x, std::span<double> g) {
    g[0] = 2 * x[0];
    return x[0] * x[0];
  };
  const double x0[1] = {1};
  EXPECT_THROW_MSG(lbfgs_minimize(f, x0, {.history = 0}), InvalidArgument, "option 'history' is 0");
  EXPECT_THROW_MSG(lbfgs_minimize(f, x0, {.max_iters = -1}), InvalidArgument, "option 'max_iters' is -1");
  auto nan = [](std::span<const double>, std::span<double> g) {
    g[0] = 0;
    return std::nan("");
  };
  EXPECT_THROW_MSG(lbfgs_minimize(nan, x0), NumericalError, "not finite at the starting point");
}

}  // namespace
}  // namespace elbo
