#pragma once
// The one generic check every op goes through: value in float32 against float64, and the
// reverse-mode gradient against central finite differences in float64.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "elbo/graph.hpp"

namespace elbo::testing {

struct OpCase {
  std::string name;
  std::vector<Shape> param_shapes;
  double lo = -2.0, hi = 2.0;  // parameter values drawn uniformly from (lo, hi)
  std::function<Expr(Graph&, const std::vector<Expr>&)> build;
};

// A scalar from the op's output: sum(output * fixed weights), so every element matters.
inline Expr weighted_sum(Graph& g, Expr y) {
  Tensor w(g.dtype(), y.shape());
  for (int64_t i = 0; i < w.numel(); ++i) w.set(i, 0.5 + 0.37 * static_cast<double>((i * 7) % 5));
  return sum(y * g.constant(w));
}

struct CaseResult {
  std::vector<double> value;
  std::vector<double> grad;
};

inline CaseResult run_case(const OpCase& c, DType dtype, const std::vector<double>& theta) {
  Graph g(dtype);
  std::vector<Expr> ps;
  for (size_t i = 0; i < c.param_shapes.size(); ++i)
    ps.push_back(g.parameter("p" + std::to_string(i), c.param_shapes[i]));
  Expr y = c.build(g, ps);
  Expr loss = weighted_sum(g, y);
  Program prog(g, {y, loss}, ps);
  CaseResult r;
  if (dtype == DType::f64) {
    prog.set_flat_params(theta.data());
  } else {
    std::vector<float> t(theta.begin(), theta.end());
    prog.set_flat_params(t.data());
  }
  double seeds[2] = {0.0, 1.0};
  prog.forward_backward(seeds);
  r.value = prog.output(0).to_vector();
  r.value.push_back(prog.output(1)[0]);
  r.grad.resize(static_cast<size_t>(prog.flat_size()));
  if (dtype == DType::f64) {
    prog.flat_gradient(r.grad.data());
  } else {
    std::vector<float> gr(r.grad.size());
    prog.flat_gradient(gr.data());
    r.grad.assign(gr.begin(), gr.end());
  }
  return r;
}

/// Value: float32 within 1e-4 relative of float64 (float32 has ~7 digits; the ops chain
/// a few roundings). Gradient: central differences with h = 1e-6 in float64 have error
/// O(h^2 f''') + O(eps/h) ~ 1e-10; we accept 1e-6 relative to max(1, |g|).
inline void check_op(const OpCase& c) {
  SCOPED_TRACE(c.name);
  int64_t D = 0;
  for (const Shape& s : c.param_shapes) D += numel(s);
  std::vector<double> theta(static_cast<size_t>(D));
  Philox rng(12345);
  std::vector<double> u(static_cast<size_t>(D));
  rng.uniform(u.data(), D, 0, 0);
  for (int64_t i = 0; i < D; ++i) theta[i] = c.lo + (c.hi - c.lo) * u[i];

  CaseResult r64 = run_case(c, DType::f64, theta);
  CaseResult r32 = run_case(c, DType::f32, theta);
  ASSERT_EQ(r64.value.size(), r32.value.size());
  for (size_t i = 0; i < r64.value.size(); ++i)
    EXPECT_NEAR(r32.value[i], r64.value[i], 1e-4 * std::max(1.0, std::abs(r64.value[i]))) << "value " << i;

  const double h = 1e-6;
  for (int64_t i = 0; i < D; ++i) {
    std::vector<double> tp = theta, tm = theta;
    tp[i] += h;
    tm[i] -= h;
    double fp = run_case(c, DType::f64, tp).value.back();
    double fm = run_case(c, DType::f64, tm).value.back();
    double fd = (fp - fm) / (2 * h);
    EXPECT_NEAR(r64.grad[i], fd, 1e-6 * std::max(1.0, std::abs(fd))) << "d/dtheta[" << i << "]";
    EXPECT_NEAR(r32.grad[i], r64.grad[i], 1e-3 * std::max(1.0, std::abs(r64.grad[i]))) << "float32 grad " << i;
  }
}

}  // namespace elbo::testing
