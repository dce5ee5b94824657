// Each transform's log-Jacobian against the engine's own derivative of backward(y), and
// the numeric forward/backward pair as inverses.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "elbo/graph.hpp"
#include "elbo/transforms.hpp"

namespace elbo {
namespace {

struct TransformCase {
  std::string label;
  std::shared_ptr<const Transform> transform;
  std::string name;
};

std::vector<TransformCase> cases() {
  return {{"log", log_transform(), "log"},
          {"logodds", logodds_transform(), "logodds"},
          {"interval(-2,3)", interval_transform(-2.0, 3.0), "interval"},
          {"interval(0.5,0.75)", interval_transform(0.5, 0.75), "interval"}};
}

// |y| <= 12: beyond that the engine's sigmoid derivative y (1 - y) loses digits to the
// cancellation in 1 - y, so it is no longer a precise reference.
const std::vector<double> kY = {-12.0, -4.0, -1.0, -0.25, 0.0, 0.3, 1.0, 2.5, 7.0, 12.0};

// d backward / dy by reverse mode: y is a parameter of shape [n]; the seeded output is
// sum(backward(y)), so the gradient's element i is dx_i/dy_i.
TEST(transform, log_jacobian_matches_engine_derivative_of_backward) {
  for (const TransformCase& c : cases()) {
    SCOPED_TRACE(c.label);
    Graph g(DType::f64);
    int64_t n = static_cast<int64_t>(kY.size());
    Expr y = g.parameter("y", {n});
    Expr x = c.transform->backward(y);
    Expr lj = c.transform->log_jacobian(y);
    Program prog(g, {sum(x), lj, x});
    prog.set_flat_params(kY.data());
    double seeds[3] = {1.0, 0.0, 0.0};
    prog.forward_backward(seeds);
    std::vector<double> dxdy(kY.size());
    prog.flat_gradient(dxdy.data());
    Tensor ljv = prog.output(1), xv = prog.output(2);
    for (size_t i = 0; i < kY.size(); ++i) {
      SCOPED_TRACE("y = " + std::to_string(kY[i]));
      // At y = 12, 1 - sigmoid(y) ~ 6e-6 carries a relative rounding error ~2e-11 in the
      // reference; 1e-9 absolute covers it and the roundings of both paths.
      EXPECT_NEAR(ljv[static_cast<int64_t>(i)], std::log(std::abs(dxdy[i])), 1e-9);
      // Graph and numeric backward agree.
      EXPECT_NEAR(xv[static_cast<int64_t>(i)], c.transform->backward(kY[i]),
                  1e-14 * std::max(1.0, std::abs(xv[static_cast<int64_t>(i)])));
    }
  }
}

TEST(transform, forward_inverts_backward) {
  for (const TransformCase& c : cases()) {
    SCOPED_TRACE(c.label);
    for (double y : kY) {
      double x = c.transform->backward(y);
      // The round trip loses digits like forward's condition number near the bounds:
      // at y = 12, x is within 6e-6 of a bound, so ~1e-11 relative; 1e-9 leaves room.
      EXPECT_NEAR(c.transform->forward(x), y, 1e-9 * std::max(1.0, std::abs(y))) << "y = " << y;
    }
  }
}

TEST(transform, backward_maps_into_the_support) {
  auto t = interval_transform(-2.0, 3.0);
  EXPECT_DOUBLE_EQ(t->backward(0.0), 0.5);
  EXPECT_GT(t->backward(-30.0), -2.0);
  EXPECT_LT(t->backward(30.0), 3.0 + 1e-15);
  EXPECT_DOUBLE_EQ(logodds_transform()->backward(0.0), 0.5);
  EXPECT_DOUBLE_EQ(log_transform()->backward(0.0), 1.0);
  EXPECT_DOUBLE_EQ(log_transform()->forward(std::exp(1.5)), 1.5);
}

TEST(transform, names_follow_pymc) {
  EXPECT_EQ(log_transform()->name(), "log");
  EXPECT_EQ(logodds_transform()->name(), "logodds");
  EXPECT_EQ(interval_transform(0, 1)->name(), "interval");
  EXPECT_EQ(transformed_name("sd", *log_transform()), "sd_log__");
  EXPECT_EQ(transformed_name("p", *logodds_transform()), "p_logodds__");
  EXPECT_EQ(transformed_name("u", *interval_transform(0, 1)), "u_interval__");
}

TEST(transform, interval_exposes_its_bounds) {
  auto t = std::dynamic_pointer_cast<const IntervalTransform>(interval_transform(-1.5, 4.0));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lower(), -1.5);
  EXPECT_EQ(t->upper(), 4.0);
}

TEST(transform, interval_rejects_empty_or_infinite_bounds) {
  auto expect_msg = [](double a, double b, const std::string& msg) {
    try {
      interval_transform(a, b);
      ADD_FAILURE() << "no throw for (" << a << ", " << b << ")";
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(std::string(e.what()), msg);
    }
  };
  expect_msg(1, 0, "interval_transform: bounds (1, 0) must be finite with lower < upper");
  expect_msg(2, 2, "interval_transform: bounds (2, 2) must be finite with lower < upper");
  expect_msg(0, INFINITY, "interval_transform: bounds (0, inf) must be finite with lower < upper");
}

TEST(transform, works_in_float32) {
  Graph g(DType::f32);
  Expr y = g.parameter("y", {3});
  auto t = interval_transform(-1.0, 1.0);
  Program prog(g, {t->backward(y), t->log_jacobian(y)});
  float theta[3] = {-1.0f, 0.0f, 2.0f};
  prog.set_flat_params(theta);
  prog.forward();
  for (int i = 0; i < 3; ++i) {
    double s = 1.0 / (1.0 + std::exp(-theta[i]));
    EXPECT_NEAR(prog.output(0)[i], -1.0 + 2.0 * s, 1e-6);
    EXPECT_NEAR(prog.output(1)[i], std::log(2.0 * s * (1 - s)), 1e-6);
  }
}

}  // namespace
}  // namespace elbo
