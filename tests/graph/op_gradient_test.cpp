// Every op of the engine through the generic check (tests/graph/gradient_check.hpp),
// including broadcasting, data-only operands mixed with sampled ones, and every layout
// case of matmul.
#include "gradient_check.hpp"

namespace elbo {
namespace {

using testing::OpCase;

Tensor data_tensor(DType d, Shape s, double scale = 1.0) {
  Tensor t(d, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.set(i, scale * std::sin(1.3 * static_cast<double>(i) + 0.4));
  return t;
}

std::vector<OpCase> cases() {
  using V = std::vector<Expr>;
  std::vector<OpCase> c;
  auto unary = [&](std::string name, double lo, double hi, Expr (*f)(Expr)) {
    c.push_back({name, {{3, 4}}, lo, hi, [f](Graph&, const V& p) { return f(p[0]); }});
  };
  unary("neg", -2, 2, neg);
  unary("square", -2, 2, square);
  unary("exp", -2, 2, exp);
  unary("log", 0.2, 3, log);
  unary("log1p", -0.5, 3, log1p);
  unary("expm1", -2, 2, expm1);
  unary("sqrt", 0.2, 3, sqrt);
  unary("abs", 0.1, 2, abs);
  unary("abs_negative", -2, -0.1, abs);
  unary("tanh", -2, 2, tanh);
  unary("sigmoid", -4, 4, sigmoid);
  unary("log_sigmoid", -8, 8, log_sigmoid);
  unary("softplus", -8, 8, softplus);
  unary("relu_positive", 0.1, 2, relu);
  unary("relu_negative", -2, -0.1, relu);
  c.push_back({"clip", {{3, 4}}, -2, 2, [](Graph&, const V& p) { return clip(p[0], -1.0, 1.0); }});

  auto binary = [&](std::string name, Shape a, Shape b, double lo, double hi, Expr (*f)(Expr, Expr)) {
    c.push_back({name, {a, b}, lo, hi, [f](Graph&, const V& p) { return f(p[0], p[1]); }});
  };
  for (auto [nm, f] : std::vector<std::pair<std::string, Expr (*)(Expr, Expr)>>{
           {"add", add}, {"sub", sub}, {"mul", mul}, {"div", div}}) {
    binary(nm + "_same", {3, 4}, {3, 4}, 0.5, 2, f);
    binary(nm + "_row_broadcast", {3, 4}, {4}, 0.5, 2, f);
    binary(nm + "_col_broadcast", {3, 4}, {3, 1}, 0.5, 2, f);
    binary(nm + "_scalar", {}, {2, 3}, 0.5, 2, f);
    binary(nm + "_outer", {3, 1}, {1, 4}, 0.5, 2, f);
    binary(nm + "_rank3", {2, 3, 4}, {3, 1}, 0.5, 2, f);
    // A bias over 19 rows: its gradient sums 19 terms per element in partial sums (two
    // full groups of 8 and a tail).
    binary(nm + "_bias_over_rows", {19, 3}, {3}, 0.5, 2, f);
  }
  binary("pow", {3, 4}, {3, 4}, 0.5, 2, pow);
  c.push_back({"pow_scalar", {{5}}, 0.5, 2, [](Graph&, const V& p) { return pow(p[0], 3.5); }});
  c.push_back({"where", {{3, 4}, {3, 4}}, -2, 2, [](Graph& g, const V& p) {
                 Tensor cond(g.dtype(), {3, 4});
                 for (int64_t i = 0; i < 12; ++i) cond.set(i, i % 3 == 0);
                 return where(g.constant(cond), p[0], p[1]);
               }});
  c.push_back({"where_broadcast", {{3, 4}, {}}, -2, 2, [](Graph& g, const V& p) {
                 Tensor cond(g.dtype(), {4}, {1, 0, 0, 1});
                 return where(g.constant(cond), p[0], p[1]);
               }});

  binary("matmul_mm", {3, 4}, {4, 5}, -1, 1, matmul);
  binary("matmul_mv", {3, 4}, {4}, -1, 1, matmul);
  binary("matmul_vm", {4}, {4, 5}, -1, 1, matmul);
  binary("matmul_vv", {4}, {4}, -1, 1, matmul);
  binary("matmul_batched", {2, 3, 4}, {2, 4, 5}, -1, 1, matmul);
  binary("matmul_batch_broadcast", {3, 4}, {2, 4, 5}, -1, 1, matmul);
  binary("matmul_batched_mv", {2, 3, 4}, {4}, -1, 1, matmul);
  binary("matmul_rank4", {2, 1, 3, 4}, {3, 4, 2}, -1, 1, matmul);
  binary("matmul_wide", {20, 24}, {24, 18}, -1, 1, matmul);  // the Eigen GEMM path
  c.push_back({"matmul_data_times_param", {{2, 5}}, -1, 1, [](Graph& g, const V& p) {
                 Expr x = g.data("x", data_tensor(g.dtype(), {7, 2}));
                 return tanh(matmul(x, p[0]));
               }});

  auto reduce = [&](std::string name, Expr (*all)(Expr), Expr (*ax)(Expr, int, bool)) {
    c.push_back({name + "_all", {{3, 4}}, -2, 2, [all](Graph&, const V& p) { return all(p[0]); }});
    for (int axis : {0, 1, -1})
      for (bool keep : {false, true})
        c.push_back({name + "_axis" + std::to_string(axis) + (keep ? "_keep" : ""), {{3, 4}}, -2, 2,
                     [ax, axis, keep](Graph&, const V& p) { return ax(p[0], axis, keep); }});
    c.push_back({name + "_rank3_axis2", {{2, 3, 4}}, -2, 2, [ax](Graph&, const V& p) { return ax(p[0], 2, false); }});
    c.push_back({name + "_rank3_axis0", {{2, 3, 4}}, -2, 2, [ax](Graph&, const V& p) { return ax(p[0], 0, false); }});
  };
  reduce("sum", static_cast<Expr (*)(Expr)>(sum), static_cast<Expr (*)(Expr, int, bool)>(sum));
  reduce("mean", static_cast<Expr (*)(Expr)>(mean), static_cast<Expr (*)(Expr, int, bool)>(mean));
  reduce("logsumexp", static_cast<Expr (*)(Expr)>(logsumexp), static_cast<Expr (*)(Expr, int, bool)>(logsumexp));

  // One node feeding several consumers, and one op reading a node twice: the first
  // writer of each gradient writes it, the rest accumulate (program.cpp, gin_fresh).
  c.push_back({"matmul_shared_operand", {{3, 3}}, -1, 1,
               [](Graph&, const V& p) { return matmul(p[0], p[0]) + tanh(p[0]) * p[0]; }});
  c.push_back({"matmul_after_non_assigning_consumer", {{4, 4}}, -1, 1, [](Graph&, const V& p) {
                 Expr h = tanh(p[0]);
                 return matmul(h, h) - h * 2.0 + square(h);
               }});
  // Fused log densities; 37 elements leave a partial packet for the tail path.
  c.push_back({"bernoulli_logit_logp", {{37}}, -6, 6, [](Graph& g, const V& p) {
                 Tensor y(g.dtype(), {37});
                 for (int64_t i = 0; i < 37; ++i) y.set(i, (i * 5) % 3 == 0);
                 return bernoulli_logit_logp(p[0], g.constant(y));
               }});
  c.push_back({"bernoulli_logit_logp_both", {{3, 4}, {3, 4}}, -2, 2,
               [](Graph&, const V& p) { return bernoulli_logit_logp(p[0], p[1]); }});
  c.push_back({"bernoulli_logp", {{37}}, 0.05, 0.95, [](Graph& g, const V& p) {
                 Tensor y(g.dtype(), {37});
                 for (int64_t i = 0; i < 37; ++i) y.set(i, (i * 5) % 3 == 0);
                 return bernoulli_logp(p[0], g.constant(y));
               }});
  // On a sigmoid a program runs it as bernoulli_logit_logp (rewrites/bernoulli_logit.cpp).
  c.push_back({"bernoulli_logp_of_sigmoid", {{37}}, -6, 6, [](Graph& g, const V& p) {
                 Tensor y(g.dtype(), {37});
                 for (int64_t i = 0; i < 37; ++i) y.set(i, (i * 5) % 3 == 0);
                 return bernoulli_logp(sigmoid(p[0]), g.constant(y));
               }});
  // 67 rows: a whole block of 64 and a partial one.
  c.push_back({"categorical_logit_logp_sum", {{67, 3}}, -4, 4, [](Graph& g, const V& p) {
                 Tensor y(g.dtype(), {67});
                 for (int64_t i = 0; i < 67; ++i) y.set(i, static_cast<double>((i * 7) % 3));
                 return categorical_logit_logp_sum(p[0], g.constant(y));
               }});
  c.push_back({"categorical_logit_logp_mean", {{5, 4}}, -4, 4, [](Graph& g, const V& p) {
                 Tensor y(g.dtype(), {5}, {3, 0, 1, 1, 2});
                 return categorical_logit_logp_mean(p[0], g.constant(y), 3.5);
               }});
  c.push_back({"normal_logp_sum", {{37}}, -3, 3, [](Graph&, const V& p) { return normal_logp_sum(p[0], 0.3, 1.7); }});
  c.push_back({"normal_logp_sum_matrix", {{3, 4}}, -3, 3,
               [](Graph&, const V& p) { return normal_logp_sum(p[0], 0.0, 1.0); }});
  c.push_back({"reshape", {{3, 4}}, -2, 2, [](Graph&, const V& p) { return reshape(p[0], {2, -1, 3}); }});
  c.push_back({"reshape_flat", {{3, 4}}, -2, 2, [](Graph&, const V& p) { return reshape(p[0], {12}); }});
  c.push_back({"reshape_from_flat", {{12}}, -2, 2, [](Graph&, const V& p) { return reshape(p[0], {4, 3}); }});
  c.push_back({"transpose", {{3, 4}}, -2, 2, [](Graph&, const V& p) { return transpose(p[0]); }});
  c.push_back({"transpose_perm", {{2, 3, 4}}, -2, 2, [](Graph&, const V& p) { return transpose(p[0], {2, 0, 1}); }});
  c.push_back({"slice_rows", {{5, 4}}, -2, 2, [](Graph&, const V& p) { return slice(p[0], 0, 1, 4); }});
  c.push_back({"slice_cols", {{5, 4}}, -2, 2, [](Graph&, const V& p) { return slice(p[0], -1, 2, 4); }});
  c.push_back({"concat_rows", {{2, 3}, {4, 3}}, -2, 2, [](Graph&, const V& p) { return concat({p[0], p[1]}, 0); }});
  c.push_back({"concat_cols", {{3, 2}, {3, 1}, {3, 2}}, -2, 2,
               [](Graph&, const V& p) { return concat({p[0], p[1], p[2]}, 1); }});
  c.push_back({"gather_rows", {{4, 3}}, -2, 2, [](Graph& g, const V& p) {
                 Expr idx = g.constant(Tensor(g.dtype(), {5}, {3, 0, 0, 2, 1}));
                 return gather_rows(p[0], idx);
               }});
  // cholesky reads A's lower triangle, so the upper one must get no gradient (finite
  // differences there are 0); a dominant diagonal keeps A positive definite.
  auto identity = [](Graph& g, int64_t n, double v) {
    Tensor t(g.dtype(), {n, n});
    for (int64_t i = 0; i < n; ++i) t.set(i * n + i, v);
    return g.constant(t);
  };
  c.push_back({"cholesky", {{4, 4}}, -0.5, 0.5,
               [identity](Graph& g, const V& p) { return cholesky(p[0] + identity(g, 4, 3.0)); }});
  c.push_back({"cholesky_of_product", {{3, 2}}, -2, 2, [identity](Graph& g, const V& p) {
                 return cholesky(matmul(p[0], transpose(p[0])) + identity(g, 3, 0.5));
               }});
  c.push_back({"solve_lower_vector", {{3, 3}, {3}}, -0.5, 0.5, [identity](Graph& g, const V& p) {
                 return solve_lower(p[0] + identity(g, 3, 2.0), p[1]);
               }});
  c.push_back({"solve_lower_matrix", {{3, 3}, {3, 2}}, -0.5, 0.5, [identity](Graph& g, const V& p) {
                 return solve_lower(p[0] + identity(g, 3, 2.0), p[1]);
               }});
  // The state's last entry (the log det carried in) only adds; b shifts tanh's argument.
  c.push_back({"planar_flow", {{6}, {5}, {5}, {}}, -1.5, 1.5,
               [](Graph&, const V& p) { return planar_flow(p[0], p[1], p[2], p[3]); }});
  // Larger arguments: z scaled by 3 (tanh nearer saturation) and u shifted down, so that
  // w.u is often negative (m towards -1). The extreme case has its own test below.
  c.push_back({"planar_flow_saturated", {{4}, {3}, {3}, {}}, -1.5, 1.5, [](Graph&, const V& p) {
                 return planar_flow(p[0] * 3.0, p[1] * 4.0 - 3.0, p[2] + 1.0, p[3]);
               }});
  // With factor 1 the gradient is the true one; other factors: scale_gradient's own test.
  c.push_back({"scale_gradient", {{3, 4}}, -2, 2,
               [](Graph& g, const V& p) { return square(scale_gradient(p[0], g.scalar(1.0))); }});
  return c;
}

TEST(op_gradient, scale_gradient_scales_only_the_gradient) {
  Graph g(DType::f64);
  Expr x = g.parameter("x", {3});
  Expr factor = g.data("factor", Tensor::scalar(0.25));
  // y = x * scale_gradient(x): value x^2, gradient x + 0.25 x (only the second path scaled).
  Expr y = sum(x * scale_gradient(x, factor));
  Program prog(g, {y});
  prog.set_param(x, Tensor(DType::f64, {3}, {1.0, -2.0, 3.0}));
  double seed[1] = {1.0};
  prog.forward_backward(seed);
  EXPECT_DOUBLE_EQ(prog.output(0)[0], 14.0);
  Tensor gx = prog.gradient(x);
  EXPECT_DOUBLE_EQ(gx[0], 1.25);
  EXPECT_DOUBLE_EQ(gx[1], -2.5);
  EXPECT_DOUBLE_EQ(gx[2], 3.75);
  // The factor is data: a new value applies without recompiling.
  prog.set_data(factor, Tensor::scalar(0.0));
  prog.forward_backward(seed);
  EXPECT_DOUBLE_EQ(prog.gradient(x)[1], -2.0);
  EXPECT_THROW(scale_gradient(x, sum(x)), InvalidArgument);  // a sampled factor
}

TEST(op_gradient, planar_flow_equals_its_elementwise_form) {
  // The fused layer against the same formula written with elementwise ops (as
  // NormalizingFlow wrote it before the op existed): values and gradients to 1e-12
  // relative (the two orders of summation differ in the last bits only).
  Graph g(DType::f64);
  const int64_t d = 7;
  Expr z = g.parameter("z", {d}), u = g.parameter("u", {d}), w = g.parameter("w", {d}), b = g.parameter("b", {});
  Expr fused = planar_flow(concat({z, g.constant(Tensor(DType::f64, {1}))}, 0), u, w, b);
  Expr wu = sum(w * u);
  Expr u_hat = u + (softplus(wu) - 1.0 - wu) * w / sum(square(w));
  Expr h = tanh(sum(w * z) + b);
  Expr z_out = z + u_hat * h, log_det = log(abs(1.0 + (1.0 - square(h)) * sum(u_hat * w)));
  Tensor weights(DType::f64, {d});
  for (int64_t i = 0; i < d; ++i) weights.set(i, 0.3 + 0.1 * static_cast<double>(i));
  Expr loss_fused = sum(slice(fused, 0, 0, d) * g.constant(weights)) + 1.7 * sum(slice(fused, 0, d, d + 1));
  Expr loss_plain = sum(z_out * g.constant(weights)) + 1.7 * log_det;
  auto run = [&](Expr loss) {
    Program prog(g, {loss}, {z, u, w, b});
    std::vector<double> theta(static_cast<size_t>(prog.flat_size())), grad(theta.size());
    for (size_t i = 0; i < theta.size(); ++i) theta[i] = std::sin(1.7 * static_cast<double>(i) + 0.2);
    prog.set_flat_params(theta.data());
    double seed[1] = {1.0};
    prog.forward_backward(seed);
    prog.flat_gradient(grad.data());
    grad.push_back(prog.output(0)[0]);  // the value last
    return grad;
  };
  const std::vector<double> fused_result = run(loss_fused), plain_result = run(loss_plain);
  ASSERT_EQ(fused_result.size(), plain_result.size());
  for (size_t i = 0; i < plain_result.size(); ++i)
    EXPECT_NEAR(fused_result[i], plain_result[i], 1e-12 * std::max(1.0, std::abs(plain_result[i]))) << i;
}

TEST(op_gradient, planar_flow_keeps_a_tiny_determinant) {
  // w.u = -50 makes m = softplus(w.u) - 1 round to -1, and w.z + b = 0 makes h = 0: the
  // determinant 1 + (1 - h^2) m is softplus(-50) = e^-50 (1 + O(e^-50)), and written as
  // 1 + (1 - h^2) m it would round to 0 (log det -inf, NaN gradients). Expected log det
  // -50 to 1e-9; every gradient finite.
  Graph g(DType::f64);
  Expr x = g.parameter("x", {4}), u = g.parameter("u", {3}), w = g.parameter("w", {3}), b = g.parameter("b", {});
  Expr y = planar_flow(x, u, w, b);
  Program prog(g, {y, sum(y)}, {x, u, w, b});
  const double theta[11] = {0, 1, 2, 0, /*u*/ -50, 0, 0, /*w*/ 1, 0, 0, /*b*/ 0};
  prog.set_flat_params(theta);
  double seeds[2] = {0.0, 1.0};
  prog.forward_backward(seeds);
  EXPECT_NEAR(prog.output(0)[3], -50.0, 1e-9);
  std::vector<double> grad(11);
  prog.flat_gradient(grad.data());
  for (size_t i = 0; i < grad.size(); ++i) EXPECT_TRUE(std::isfinite(grad[i])) << i << ": " << grad[i];
}

TEST(op_gradient, every_op_matches_finite_differences) {
  for (const OpCase& c : cases()) {
    try {
      testing::check_op(c);
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.name << ": " << e.what();
    }
  }
}

TEST(op_gradient, every_registered_op_has_a_case) {
  // Names of the cases start with the op name; every op in the registry is covered.
  std::vector<std::string> ops = {"add", "sub", "mul", "div", "pow", "where", "neg", "square", "exp", "log",
                                  "log1p", "expm1", "sqrt", "abs", "tanh", "sigmoid", "log_sigmoid",
                                  "softplus", "relu", "clip", "matmul", "sum", "mean", "logsumexp",
                                  "reshape", "transpose", "slice", "concat", "gather_rows",
                                  "cholesky", "solve_lower", "scale_gradient", "planar_flow",
                                  "bernoulli_logit_logp", "bernoulli_logp", "normal_logp_sum",
                                  "categorical_logit_logp_sum"};
  auto all = cases();
  for (const auto& op : ops) {
    bool found = false;
    for (const auto& c : all) found = found || c.name.rfind(op, 0) == 0;
    EXPECT_TRUE(found) << op;
  }
}

}  // namespace
}  // namespace elbo
