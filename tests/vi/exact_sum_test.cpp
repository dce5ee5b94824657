// Fixed-point sums (exact_sum.hpp): exact, order-free, and the rounding of one term.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "elbo/vi/exact_sum.hpp"

namespace elbo {
namespace {

TEST(ExactSum, RoundTripsValuesOnTheGrid) {
  for (double x : {0.0, 1.0, -1.5, 0.1, -1e-12, 12345.678, 1e15, -3.0e18})
    EXPECT_EQ(from_fixed_point(to_fixed_point(x)), std::nearbyint(std::ldexp(x, 64)) * std::ldexp(1.0, -64)) << x;
  EXPECT_EQ(from_fixed_point(to_fixed_point(0.75)), 0.75);
  EXPECT_EQ(to_fixed_point(std::ldexp(1.0, -64)), FixedPoint{1});
  EXPECT_EQ(to_fixed_point(std::ldexp(1.0, -66)), FixedPoint{0});  // rounds to the nearest 2^-64
}

TEST(ExactSum, SumsDoNotDependOnOrderOrGrouping) {
  // Terms of very different sizes, where double addition depends on the order.
  std::mt19937_64 gen(7);
  std::vector<double> terms(1000);
  for (double& t : terms) t = std::ldexp(std::uniform_real_distribution<double>(-1, 1)(gen), static_cast<int>(gen() % 60) - 30);
  auto fixed_sum = [](const std::vector<double>& v, size_t groups) {
    // Per-group partial sums, then the sum of the partials: one "process" per group.
    std::vector<FixedPoint> partial(groups, 0);
    for (size_t i = 0; i < v.size(); ++i) partial[i * groups / v.size()] += to_fixed_point(v[i]);
    FixedPoint total = 0;
    for (FixedPoint p : partial) total += p;
    return total;
  };
  const FixedPoint reference = fixed_sum(terms, 1);
  std::vector<double> shuffled = terms;
  std::shuffle(shuffled.begin(), shuffled.end(), gen);
  for (size_t groups : {2u, 3u, 7u, 1000u}) {
    EXPECT_EQ(fixed_sum(terms, groups), reference) << groups;
    EXPECT_EQ(fixed_sum(shuffled, groups), reference) << groups;
  }
  // Double addition in the two orders differs (why the fixed point is needed at all).
  double a = 0, b = 0;
  for (double t : terms) a += t;
  for (double t : shuffled) b += t;
  EXPECT_NE(a, b);
}

TEST(ExactSum, CountsTermsThatDoNotFit) {
  std::vector<double> v = {1.0, NAN, INFINITY, 5e18, 2.0};
  std::vector<FixedPoint> sums(v.size(), 0);
  EXPECT_EQ(add_fixed_point(v, sums), 3);
  EXPECT_EQ(from_fixed_point(sums[0]), 1.0);
  EXPECT_EQ(sums[1], FixedPoint{0});
  EXPECT_EQ(from_fixed_point(sums[4]), 2.0);
}

}  // namespace
}  // namespace elbo
