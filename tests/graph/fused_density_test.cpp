// The fused log-density ops give the values and gradients of the unfused expressions
// they replace (src/graph/ops/bernoulli_logit_logp_op.cpp, normal_logp_sum_op.cpp,
// categorical_logit_logp_op.cpp), in
// float64 to rounding and in float32 to float32 rounding of the same sums.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "elbo/graph.hpp"

namespace elbo {
namespace {

struct Run {
  double value;
  std::vector<double> grad;
};

Run run(DType dtype, int64_t n, const std::function<Expr(Graph&, Expr)>& build) {
  Graph g(dtype);
  Expr p = g.parameter("p", {n});
  Expr out = build(g, p);
  Program prog(g, {out}, {p});
  std::vector<double> theta(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) theta[i] = 7.0 * std::sin(1.3 * static_cast<double>(i) + 0.2);  // -7..7
  double seed[1] = {1.0};
  if (dtype == DType::f64) {
    prog.set_flat_params(theta.data());
  } else {
    std::vector<float> t(theta.begin(), theta.end());
    prog.set_flat_params(t.data());
  }
  prog.forward_backward(seed);
  return {prog.output(0)[0], prog.gradient(p).to_vector()};
}

void expect_same(const Run& a, const Run& b, double rtol) {
  EXPECT_NEAR(a.value, b.value, rtol * std::max(1.0, std::abs(b.value)));
  ASSERT_EQ(a.grad.size(), b.grad.size());
  for (size_t i = 0; i < a.grad.size(); ++i) EXPECT_NEAR(a.grad[i], b.grad[i], rtol * std::max(1.0, std::abs(b.grad[i]))) << i;
}

Tensor labels(DType dtype, int64_t n) {
  Tensor y(dtype, {n});
  for (int64_t i = 0; i < n; ++i) y.set(i, (i * 7) % 3 == 1);
  return y;
}

TEST(fused_density, bernoulli_logit_logp_equals_log_sigmoid_form) {
  // 1, 15, 16, 17 and 50 rows: no whole packet, whole packets only, and a tail.
  for (DType dt : {DType::f64, DType::f32})
    for (int64_t n : {1, 15, 16, 17, 50}) {
      auto fused = run(dt, n, [&](Graph& g, Expr l) { return sum(bernoulli_logit_logp(l, g.constant(labels(dt, n)))); });
      auto plain = run(dt, n, [&](Graph& g, Expr l) {
        Expr y = g.constant(labels(dt, n));
        return sum(log_sigmoid(l) + (y - 1.0) * l);
      });
      expect_same(fused, plain, dt == DType::f64 ? 1e-12 : 1e-5);
    }
}

TEST(fused_density, bernoulli_logit_logp_sum_and_mean_equal_the_reduced_elementwise_values) {
  // Also through a seed other than 1 (a scaled likelihood) and with accumulating
  // gradients: the logit feeds the loss twice.
  for (DType dt : {DType::f64, DType::f32})
    for (int64_t n : {1, 15, 16, 17, 50, 500}) {
      SCOPED_TRACE(::testing::Message() << dtype_name(dt) << " n=" << n);
      for (bool use_mean : {false, true}) {
        auto fused = run(dt, n, [&](Graph& g, Expr l) {
          Expr y = g.constant(labels(dt, n));
          Expr t = use_mean ? bernoulli_logit_logp_mean(l, y) : bernoulli_logit_logp_sum(l, y);
          return 3.0 * t + sum(l);
        });
        auto plain = run(dt, n, [&](Graph& g, Expr l) {
          Expr y = g.constant(labels(dt, n));
          Expr lp = log_sigmoid(l) + (y - 1.0) * l;
          return 3.0 * (use_mean ? mean(lp) : sum(lp)) + sum(l);
        });
        expect_same(fused, plain, dt == DType::f64 ? 1e-12 : 1e-5);
      }
    }
}

TEST(fused_density, scaled_bernoulli_logit_logp_mean_is_the_bits_of_the_mean_times_the_scale) {
  // The scale (a minibatch's total_size) inside the node must give what a multiplication
  // by a constant did before it: the same bits, value and gradient.
  for (DType dt : {DType::f64, DType::f32})
    for (int64_t n : {1, 17, 50}) {
      SCOPED_TRACE(::testing::Message() << dtype_name(dt) << " n=" << n);
      auto fused = run(dt, n, [&](Graph& g, Expr l) { return bernoulli_logit_logp_mean(l, g.constant(labels(dt, n)), 512.5); });
      auto plain = run(dt, n, [&](Graph& g, Expr l) { return bernoulli_logit_logp_mean(l, g.constant(labels(dt, n))) * 512.5; });
      EXPECT_EQ(fused.value, plain.value);
      EXPECT_EQ(fused.grad, plain.grad);
      EXPECT_NE(fused.value, run(dt, n, [&](Graph& g, Expr l) { return bernoulli_logit_logp_mean(l, g.constant(labels(dt, n))); }).value);
    }
}

// The categorical op against the table form it replaces (Categorical::logp on logits:
// l - logsumexp(l), the label's entry summed), on [rows, K] logits with rows not a multiple
// of the packet width, for the sum and the scaled mean: values and gradients to rounding
// (1e-12 in float64, 1e-5 in float32: float sums of up to 101 rows of values near 5).
TEST(fused_density, categorical_logit_logp_sum_and_mean_equal_the_table_form) {
  const int64_t K = 4;
  for (DType dt : {DType::f64, DType::f32})
    for (int64_t rows : {1, 7, 16, 101})
      for (bool use_mean : {false, true}) {
        SCOPED_TRACE(std::string(dt == DType::f64 ? "f64" : "f32") + " rows " + std::to_string(rows) +
                     (use_mean ? " mean" : " sum"));
        Tensor y(dt, {rows});
        for (int64_t r = 0; r < rows; ++r) y.set(r, static_cast<double>((r * 5) % K));
        auto as_logits = [&](Expr p) { return reshape(p, {rows, K}); };
        auto fused = run(dt, rows * K, [&](Graph& g, Expr p) {
          return use_mean ? categorical_logit_logp_mean(as_logits(p), g.constant(y), 2.5)
                          : categorical_logit_logp_sum(as_logits(p), g.constant(y));
        });
        auto table = run(dt, rows * K, [&](Graph& g, Expr p) {
          Expr l = as_logits(p);
          Tensor onehot(dt, {rows, K});
          for (int64_t r = 0; r < rows; ++r) onehot.set(r * K + (r * 5) % K, 1.0);
          Expr per_row = sum((l - logsumexp(l, -1, true)) * g.constant(onehot), -1);
          return use_mean ? mean(per_row) * 2.5 : sum(per_row);
        });
        expect_same(fused, table, dt == DType::f64 ? 1e-12 : 1e-5);
      }
}

TEST(fused_density, categorical_logit_logp_of_a_label_outside_the_classes_is_nan) {
  for (double bad : {-1.0, 4.0, 1.5}) {
    Tensor y(DType::f64, {2}, {1.0, bad});
    auto r = run(DType::f64, 8, [&](Graph& g, Expr p) { return categorical_logit_logp_sum(reshape(p, {2, 4}), g.constant(y)); });
    EXPECT_TRUE(std::isnan(r.value)) << bad;
  }
  Graph g(DType::f64);
  Expr l = g.parameter("l", {3, 4});
  EXPECT_THROW(categorical_logit_logp_sum(l, g.data("y", Tensor(DType::f64, {4}))), ShapeError);
  EXPECT_THROW(categorical_logit_logp_mean(l, g.data("y2", Tensor(DType::f64, {3})), INFINITY), InvalidArgument);
}

TEST(fused_density, normal_logp_sum_equals_elementwise_sum) {
  for (DType dt : {DType::f64, DType::f32})
    for (int64_t n : {1, 16, 40, 101}) {
      auto fused = run(dt, n, [](Graph&, Expr x) { return normal_logp_sum(x, 0.5, 2.5); });
      auto plain = run(dt, n, [](Graph&, Expr x) {
        Expr z = (x - 0.5) / 2.5;
        return sum(-0.5 * square(z) - (std::log(2.5) + 0.91893853320467274178));
      });
      expect_same(fused, plain, dt == DType::f64 ? 1e-12 : 1e-5);
    }
}

TEST(fused_density, normal_logp_sum_of_several_tensors_is_the_sum_of_each) {
  for (DType dt : {DType::f64, DType::f32}) {
    Graph g(dt);
    Expr a = g.parameter("a", {3, 4}), b = g.parameter("b", {17}), c = g.parameter("c", {1});
    Expr all[3] = {a, b, c};
    Expr fused = normal_logp_sum(all, 0.25, 1.5);
    Expr plain = normal_logp_sum(a, 0.25, 1.5) + normal_logp_sum(b, 0.25, 1.5) + normal_logp_sum(c, 0.25, 1.5);
    auto eval = [&](Expr out) {
      Program p(g, {out}, {a, b, c});
      for (const Expr& x : all) {
        Tensor v(dt, x.shape());
        for (int64_t i = 0; i < v.numel(); ++i) v.set(i, std::cos(1.7 * static_cast<double>(i + x.id())));
        p.set_param(x, v);
      }
      double seed[1] = {2.0};
      p.forward_backward(seed);
      std::vector<double> r = {p.output(0)[0]};
      for (const Expr& x : all)
        for (double v : p.gradient(x).to_vector()) r.push_back(v);
      return r;
    };
    auto f = eval(fused), q = eval(plain);
    ASSERT_EQ(f.size(), q.size());
    const double tol = dt == DType::f64 ? 1e-12 : 1e-5;
    for (size_t i = 0; i < f.size(); ++i) EXPECT_NEAR(f[i], q[i], tol * std::max(1.0, std::abs(q[i]))) << i;
  }
  Graph g(DType::f64);
  std::vector<Expr> many(17, g.parameter("x", {2}));
  EXPECT_THROW(normal_logp_sum(many, 0.0, 1.0), InvalidArgument);
}

// A weight matrix of 300,017 values (nine blocks of the op's 2^15 and a tail): the value and
// gradient are the same bits for 1, 2 and 3 threads (the blocks follow from the size; a
// one-draw run lends them its threads), and the value is the long-double sum to float32
// rounding of 300k terms (relative 1e-5: the blocks' and lanes' partial sums are each
// rounded to float at most ~20 times) and float64 to 1e-12.
TEST(fused_density, normal_logp_sum_of_a_large_input_gives_the_same_bits_for_any_thread_count) {
  const int64_t n = 300017;
  for (DType dt : {DType::f64, DType::f32}) {
    std::vector<double> first;
    for (int threads : {1, 2, 3}) {
      Graph g(dt);
      Expr p = g.parameter("p", {n});
      Program prog(g, {normal_logp_sum(p, 0.5, 2.5)}, {p}, ProgramOptions{threads});
      Tensor v(dt, {n});
      for (int64_t i = 0; i < n; ++i) v.set(i, 7.0 * std::sin(1.3 * static_cast<double>(i) + 0.2));
      prog.set_param(p, v);
      double seed[1] = {1.5};
      prog.forward_backward(seed);
      std::vector<double> r = prog.gradient(p).to_vector();
      r.push_back(prog.output(0)[0]);
      if (threads == 1) {
        first = r;
        long double sq = 0;
        for (int64_t i = 0; i < n; ++i) {
          const long double z = (static_cast<long double>(v[i]) - 0.5L) / 2.5L;
          sq += z * z;
        }
        const long double want = -0.5L * sq - n * (std::log(2.5L) + 0.91893853320467274178L);
        EXPECT_NEAR(r.back(), static_cast<double>(want), (dt == DType::f64 ? 1e-12 : 1e-5) * std::abs(static_cast<double>(want)));
        EXPECT_NEAR(r[12345], 1.5 * -(v[12345] - 0.5) / 6.25, 1e-6);
        continue;
      }
      ASSERT_EQ(r.size(), first.size());
      for (size_t i = 0; i < r.size(); ++i) ASSERT_EQ(r[i], first[i]) << dtype_name(dt) << ", " << threads << " threads, " << i;
    }
  }
}

TEST(fused_density, bad_arguments_are_named) {
  Graph g(DType::f64);
  Expr x = g.parameter("x", {3});
  try {
    normal_logp_sum(x, 0.0, -1.0);
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("argument 'sigma' is -1"), std::string::npos) << e.what();
  }
  try {
    bernoulli_logit_logp(x, g.data("y", Tensor(DType::f64, {4})));
    FAIL() << "no error";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("bernoulli_logit_logp"), std::string::npos) << e.what();
  }
  try {
    bernoulli_logit_logp_mean(x, g.data("y3", Tensor(DType::f64, {3})), std::numeric_limits<double>::infinity());
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("bernoulli_logit_logp_mean: argument 'scale' is inf"), std::string::npos) << e.what();
  }
  try {
    bernoulli_logit_logp_mean(x, g.data("y2", Tensor(DType::f64, {4})));
    FAIL() << "no error";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("bernoulli_logit_logp_sum: shapes [3] and [4]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace elbo
