// The log-gamma function composed of engine ops (the engine has no lgamma op), used for
// random shape parameters and replaceable count data: value and derivative across the
// range of arguments.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "distributions/distribution_impl.hpp"
#include "elbo/graph.hpp"

namespace elbo {
namespace {

std::vector<double> grid() {
  std::vector<double> xs;
  for (double e = -3; e <= 6.01; e += 0.25) xs.push_back(std::pow(10.0, e));  // 1e-3 .. 1e6
  for (double x : {0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 7.0, 10.5}) xs.push_back(x);
  return xs;
}

// Stirling's remainder after the z^-7 term is below 1/(1188 z^9) < 1e-10 at z = x + 6 >= 6;
// on top of it the roundings of ~20 double ops on terms of size |x log x|.
TEST(lgamma_composed, matches_std_lgamma) {
  std::vector<double> xs = grid();
  Graph g(DType::f64);
  Expr x = g.parameter("x", {static_cast<int64_t>(xs.size())});
  Program prog(g, {detail::lgamma_of(x)});
  prog.set_flat_params(xs.data());
  prog.forward();
  for (size_t i = 0; i < xs.size(); ++i) {
    double want = std::lgamma(xs[i]);
    EXPECT_NEAR(prog.output(0)[static_cast<int64_t>(i)], want,
                1e-10 + 2e-15 * std::abs(xs[i] * std::log(xs[i])))
        << "x = " << xs[i];
  }
}

// The derivative is the digamma function; the reference is a central difference of
// std::lgamma with h = 1e-5 x (truncation ~h^2 psi'' / 6, rounding ~eps lgamma / h).
TEST(lgamma_composed, derivative_matches_finite_differences_of_std_lgamma) {
  std::vector<double> xs = grid();
  Graph g(DType::f64);
  Expr x = g.parameter("x", {static_cast<int64_t>(xs.size())});
  Program prog(g, {sum(detail::lgamma_of(x))});
  prog.set_flat_params(xs.data());
  double seed[1] = {1.0};
  prog.forward_backward(seed);
  std::vector<double> grad(xs.size());
  prog.flat_gradient(grad.data());
  for (size_t i = 0; i < xs.size(); ++i) {
    double h = 1e-5 * xs[i];
    double fd = (std::lgamma(xs[i] + h) - std::lgamma(xs[i] - h)) / (2 * h);
    EXPECT_NEAR(grad[i], fd, 1e-7 * std::max(1.0, std::abs(fd))) << "x = " << xs[i];
  }
}

TEST(lgamma_composed, folds_constants_exactly) {
  Graph g(DType::f64);
  Expr c = detail::lgamma_of(g.constant(Tensor(DType::f64, {2}, {0.5, 100})));
  ASSERT_TRUE(c.is_constant());
  EXPECT_EQ((*c.value())[0], std::lgamma(0.5));
  EXPECT_EQ((*c.value())[1], std::lgamma(100.0));
}

}  // namespace
}  // namespace elbo
