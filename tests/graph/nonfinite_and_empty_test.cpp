// Edge values through the engine's kernels: an infinite product in a weight gradient stays
// infinite (the dot products' masked tail must not make it NaN), and arrays with a zero
// dimension pass through layout conversion.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "elbo/graph.hpp"

namespace elbo {
namespace {

TEST(nonfinite, an_infinite_upstream_gradient_gives_an_infinite_weight_gradient) {
  // dL/dW[0,0] = sum_n x[n,0] c[n,0]: with c[5,0] = inf and x > 0 it is +inf, not NaN.
  // 20 rows: one whole packet of 16 floats and a tail of 4 through the masked packet,
  // which covers row 5 again.
  for (DType dt : {DType::f32, DType::f64}) {
    Graph g(dt);
    Tensor x(dt, {20, 2}), c(dt, {20, 3});
    for (int64_t i = 0; i < 40; ++i) x.set(i, 0.5 + 0.01 * static_cast<double>(i));
    for (int64_t i = 0; i < 60; ++i) c.set(i, 1.0);
    c.set(5 * 3 + 0, std::numeric_limits<double>::infinity());
    Expr w = g.parameter("w", {2, 3});
    Expr loss = sum(matmul(g.data("x", x), w) * g.constant(c));
    Program p(g, {loss}, {w});
    std::vector<double> w0(6, 0.1);
    if (dt == DType::f32) {
      std::vector<float> wf(w0.begin(), w0.end());
      p.set_flat_params(wf.data());
    } else {
      p.set_flat_params(w0.data());
    }
    double seed[1] = {1.0};
    p.forward_backward(seed);
    Tensor gw = p.gradient(w);
    EXPECT_TRUE(std::isinf(gw[0]) && gw[0] > 0) << dtype_name(dt) << ": " << gw[0];
    EXPECT_TRUE(std::isfinite(gw[1])) << dtype_name(dt);
  }
}

TEST(empty, data_with_a_zero_dimension_runs) {
  Graph g(DType::f64);
  Expr x = g.data("x", Tensor(DType::f64, {0, 3}));
  Expr w = g.parameter("w", {3, 2});
  Expr y = matmul(x, w);
  Program p(g, {sum(y), y}, {w});
  std::vector<double> w0(6, 1.0);
  p.set_flat_params(w0.data());
  double seeds[2] = {1.0, 0.0};
  p.forward_backward(seeds);
  EXPECT_EQ(p.output(0)[0], 0.0);
  EXPECT_EQ(p.output(1).shape(), (Shape{1, 0, 2}));
  for (double v : p.gradient(w).to_vector()) EXPECT_EQ(v, 0.0);
}

}  // namespace
}  // namespace elbo
