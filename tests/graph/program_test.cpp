// Compiled programs: float32 against float64, the leading sample dimension S, data-only
// nodes broadcast against sampled ones, output shapes, and values going in and coming back
// out in row-major order whatever the internal layout.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "elbo/graph.hpp"
#include "tutorial_network.hpp"

namespace elbo {
namespace {

using testing::normal_params;
using testing::run_program;
using testing::RunResult;
using testing::tutorial_network;

// Bitwise equality of two double vectors, with the first differing index in the message.
void expect_bitwise_equal(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(double)) != 0) {
      ADD_FAILURE() << what << " differs at " << i << ": " << a[i] << " vs " << b[i];
      return;
    }
}

TEST(program, float32_agrees_with_float64_on_the_tutorial_network) {
  const int64_t S = 3;
  auto n64 = tutorial_network(DType::f64);
  auto n32 = tutorial_network(DType::f32);
  Program p64(n64.g, {n64.p, n64.loglik});
  Program p32(n32.g, {n32.p, n32.loglik});
  p64.set_samples(S);
  p32.set_samples(S);
  auto theta = normal_params(S, p64.flat_size());
  RunResult r64 = run_program(p64, theta, {0.0, 1.0});
  RunResult r32 = run_program(p32, theta, {0.0, 1.0});
  // float32 carries ~7 significant digits; the log-likelihood sums 500 terms, each a few
  // roundings deep, so its relative error stays well below 1e-4 (measured ~1e-6).
  for (int o = 0; o < 2; ++o) {
    ASSERT_EQ(r32.outputs[o].size(), r64.outputs[o].size());
    for (size_t i = 0; i < r64.outputs[o].size(); ++i)
      EXPECT_NEAR(r32.outputs[o][i], r64.outputs[o][i], 1e-4 * std::max(1.0, std::abs(r64.outputs[o][i])))
          << "output " << o << " element " << i;
  }
  double gmax = 0;
  for (double g : r64.grad) gmax = std::max(gmax, std::abs(g));
  for (size_t i = 0; i < r64.grad.size(); ++i)
    EXPECT_NEAR(r32.grad[i], r64.grad[i], 1e-4 * std::max(1.0, gmax)) << "gradient " << i;
}

TEST(program, each_sample_gives_exactly_the_result_of_a_single_sample_run) {
  for (DType dtype : {DType::f64, DType::f32}) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    const int64_t S = 3;
    auto net = tutorial_network(dtype, 37);  // an odd row count, so sample blocks are not aligned
    Expr h1 = matmul(net.x, net.w1);
    // A wide layer takes matmul's Eigen GEMM path (both sides above 16).
    Expr wide = net.g.parameter("wide", {5, 19});
    Expr w4 = net.g.parameter("w4", {19, 18});
    Expr deep = sum(tanh(matmul(tanh(matmul(tanh(h1), wide)), w4)));
    Program batched(net.g, {net.p, net.loglik + deep, h1});
    batched.set_samples(S);
    const int64_t D = batched.flat_size();
    auto theta = normal_params(S, D);
    RunResult all = run_program(batched, theta, {0.0, 1.0, 0.0});
    ASSERT_EQ(batched.output(0).shape(), (Shape{S, 37}));
    ASSERT_EQ(batched.output(1).shape(), (Shape{S}));
    ASSERT_EQ(batched.output(2).shape(), (Shape{S, 37, 5}));

    Program single(net.g, {net.p, net.loglik + deep, h1});
    for (int64_t s = 0; s < S; ++s) {
      SCOPED_TRACE("sample " + std::to_string(s));
      std::vector<double> ts(theta.begin() + s * D, theta.begin() + (s + 1) * D);
      RunResult one = run_program(single, ts, {0.0, 1.0, 0.0});
      for (int o = 0; o < 3; ++o) {
        size_t n = one.outputs[o].size();
        std::vector<double> part(all.outputs[o].begin() + s * n, all.outputs[o].begin() + (s + 1) * n);
        expect_bitwise_equal(part, one.outputs[o], "output " + std::to_string(o));
      }
      std::vector<double> gpart(all.grad.begin() + s * D, all.grad.begin() + (s + 1) * D);
      expect_bitwise_equal(gpart, one.grad, "gradient");
    }
  }
}

Tensor ramp(DType d, Shape s, double scale = 1.0, double shift = 0.0) {
  Tensor t(d, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.set(i, scale * std::sin(0.7 * static_cast<double>(i) + 0.3) + shift);
  return t;
}

TEST(program, data_only_nodes_broadcast_against_sampled_ones) {
  const int64_t S = 4, N = 6;
  Graph g(DType::f64);
  Tensor xv = ramp(DType::f64, {N, 2});
  Expr x = g.data("x", xv);
  Expr w = g.parameter("w", {2, 5});
  Expr b = g.parameter("b", {2});
  Expr h = matmul(x, w);          // [N,2] data x [2,5] sampled -> [S,N,5]
  Expr xb = x + b;                // [N,2] data + [2] sampled -> [S,N,2]
  Expr fixed = sum(x * 2.0);      // data only: one copy, no sample dimension
  Expr wx = matmul(transpose(w), transpose(x));  // [5,2] sampled x [2,N] data -> [S,5,N]
  Expr loss = sum(h);
  Program prog(g, {h, xb, fixed, wx, loss}, {w, b});
  prog.set_samples(S);

  EXPECT_EQ(prog.output_shape(0), (Shape{N, 5}));
  EXPECT_TRUE(prog.output_sampled(0));
  EXPECT_FALSE(prog.output_sampled(2));
  const int64_t D = prog.flat_size();
  ASSERT_EQ(D, 12);
  auto theta = normal_params(S, D);
  RunResult r = run_program(prog, theta, {0, 0, 0, 0, 1});

  EXPECT_EQ(prog.output(0).shape(), (Shape{S, N, 5}));
  EXPECT_EQ(prog.output(1).shape(), (Shape{S, N, 2}));
  EXPECT_EQ(prog.output(2).shape(), (Shape{}));
  EXPECT_EQ(prog.output(3).shape(), (Shape{S, 5, N}));
  EXPECT_EQ(prog.output(4).shape(), (Shape{S}));

  double xsum = 0;
  for (int64_t i = 0; i < xv.numel(); ++i) xsum += 2.0 * xv[i];
  EXPECT_NEAR(r.outputs[2][0], xsum, 1e-12);
  for (int64_t s = 0; s < S; ++s) {
    const double* ws = theta.data() + s * D;  // w row-major [2,5], then b [2]
    for (int64_t n = 0; n < N; ++n)
      for (int64_t m = 0; m < 5; ++m) {
        double ref = xv[n * 2] * ws[m] + xv[n * 2 + 1] * ws[5 + m];
        EXPECT_NEAR(r.outputs[0][(s * N + n) * 5 + m], ref, 1e-12);
        EXPECT_NEAR(r.outputs[3][(s * 5 + m) * N + n], ref, 1e-12);
      }
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < 2; ++k)
        EXPECT_NEAR(r.outputs[1][(s * N + n) * 2 + k], xv[n * 2 + k] + ws[10 + k], 1e-12);
    // d sum(x w) / d w[k,m] = sum_n x[n,k], the same for every sample; b gets nothing.
    for (int64_t k = 0; k < 2; ++k) {
      double col = 0;
      for (int64_t n = 0; n < N; ++n) col += xv[n * 2 + k];
      for (int64_t m = 0; m < 5; ++m) EXPECT_NEAR(r.grad[s * D + k * 5 + m], col, 1e-12);
      EXPECT_EQ(r.grad[s * D + 10 + k], 0.0);
    }
  }
}

TEST(program, changing_the_sample_count_resizes_sampled_outputs_only) {
  Graph g(DType::f64);
  Expr x = g.data("x", ramp(DType::f64, {3, 2}));
  Expr w = g.parameter("w", {2});
  Program prog(g, {matmul(x, w), sum(x)});
  for (int64_t S : {1, 5, 2}) {
    prog.set_samples(S);
    auto theta = normal_params(S, 2);
    prog.set_flat_params(theta.data());
    prog.forward();
    EXPECT_EQ(prog.samples(), S);
    EXPECT_EQ(prog.output(0).shape(), (Shape{S, 3}));
    EXPECT_EQ(prog.output(1).shape(), (Shape{}));
  }
}

TEST(program, results_read_before_the_next_run_after_a_sample_count_change_are_refused) {
  Graph g(DType::f64);
  Expr w = g.parameter("w", {3});
  Program prog(g, {sum(w)});
  prog.set_samples(2);
  double theta[6] = {1, 2, 3, 4, 5, 6};
  prog.set_flat_params(theta);
  prog.forward_backward(std::vector<double>{1.0});
  prog.set_samples(4);  // buffers still hold 2 samples until the next run
  EXPECT_THROW(prog.output(0), InvalidArgument);
  std::vector<double> grad(12);
  EXPECT_THROW(prog.flat_gradient(grad.data()), InvalidArgument);
  EXPECT_THROW(prog.gradient(w), InvalidArgument);
  EXPECT_THROW(prog.output_values<double>(0), InvalidArgument);
  std::vector<double> theta4(12, 1.0);
  prog.set_flat_params(theta4.data());
  prog.forward_backward(std::vector<double>{1.0});
  EXPECT_EQ(prog.output(0).shape(), (Shape{4}));
  prog.flat_gradient(grad.data());
  for (double v : grad) EXPECT_EQ(v, 1.0);
}

// --- layout: values go in and come back out row-major -----------------------------------

Tensor counting(DType d, Shape s) {
  Tensor t(d, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.set(i, static_cast<double>(i) + 1.0);
  return t;
}

TEST(program, parameters_of_rank_2_3_4_round_trip_in_row_major_order) {
  for (DType dtype : {DType::f64, DType::f32})
    for (Shape shape : {Shape{3, 4}, Shape{2, 3, 4}, Shape{2, 3, 4, 5}, Shape{2, 1, 3, 1}}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + shape_str(shape));
      const int64_t S = 2, n = numel(shape);
      Graph g(dtype);
      Expr w = g.parameter("w", shape);
      Tensor c = counting(dtype, shape);
      Expr loss = sum(w * g.constant(c));  // gradient = c, per sample
      Program prog(g, {w, w * 1.0, loss});
      prog.set_samples(S);
      Shape full = shape;
      full.insert(full.begin(), S);
      Tensor v = counting(dtype, full);
      for (int64_t i = 0; i < v.numel(); ++i) v.set(i, 0.5 * static_cast<double>(i));
      prog.set_param(w, v);
      prog.forward_backward(std::vector<double>{0, 0, 1});
      EXPECT_EQ(prog.output(0).shape(), full);
      EXPECT_EQ(prog.output(0).to_vector(), v.to_vector());  // a parameter as an output
      EXPECT_EQ(prog.output(1).to_vector(), v.to_vector());  // an op's result
      Tensor gw = prog.gradient(w);
      EXPECT_EQ(gw.shape(), full);
      for (int64_t s = 0; s < S; ++s)
        for (int64_t i = 0; i < n; ++i) EXPECT_EQ(gw[s * n + i], c[i]) << s << "," << i;
      // The flat interface agrees with the per-parameter one.
      std::vector<double> theta(static_cast<size_t>(S * n)), grad(static_cast<size_t>(S * n));
      for (size_t i = 0; i < theta.size(); ++i) theta[i] = -static_cast<double>(i);
      RunResult r = testing::run_program(prog, theta, {0, 0, 1});
      EXPECT_EQ(r.outputs[0], theta);
      for (int64_t s = 0; s < S; ++s)
        for (int64_t i = 0; i < n; ++i) EXPECT_EQ(r.grad[s * n + i], c[i]);
      // Setting every sample alike from the base shape.
      prog.set_param(w, c);
      prog.forward();
      Tensor out = prog.output(0);
      for (int64_t s = 0; s < S; ++s)
        for (int64_t i = 0; i < n; ++i) EXPECT_EQ(out[s * n + i], c[i]);
    }
}

TEST(program, data_of_rank_2_3_4_round_trip_in_row_major_order) {
  for (DType dtype : {DType::f64, DType::f32})
    for (Shape shape : {Shape{3, 4}, Shape{2, 3, 4}, Shape{2, 3, 4, 5}, Shape{4, 1, 3}}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + shape_str(shape));
      Graph g(dtype);
      Tensor c = counting(dtype, shape);
      Expr x = g.data("x", c);
      Program prog(g, {x, x + 0.0, reshape(x, {-1})});
      prog.forward();
      EXPECT_EQ(prog.output(0).shape(), shape);
      EXPECT_EQ(prog.output(0).to_vector(), c.to_vector());
      EXPECT_EQ(prog.output(1).to_vector(), c.to_vector());
      EXPECT_EQ(prog.output(2).to_vector(), c.to_vector());  // reshape reads logical order
      // Replaced data, gathered rows, and a new row count come back row-major too.
      Shape more = shape;
      more[0] += 3;
      Tensor c2 = counting(dtype, more);
      for (int64_t i = 0; i < c2.numel(); ++i) c2.set(i, 1000.0 - static_cast<double>(i));
      prog.set_data(x, c2);
      prog.forward();
      EXPECT_EQ(prog.output(0).shape(), more);
      EXPECT_EQ(prog.output(1).to_vector(), c2.to_vector());
      std::vector<int64_t> rows = {4, 0, 2, 2};
      prog.set_data_rows(x, c2, rows);
      prog.forward();
      EXPECT_EQ(prog.output(0).to_vector(), c2.gather_rows(rows).to_vector());
      EXPECT_EQ(prog.output(2).to_vector(), c2.gather_rows(rows).to_vector());
    }
}

TEST(program, output_values_expose_the_internal_layout_without_copying) {
  Graph g(DType::f64);
  Expr x = g.data("x", counting(DType::f64, {2, 3}));
  Expr w = g.parameter("w", {3});
  Program prog(g, {x, w});
  prog.set_samples(2);
  double theta[6] = {1, 2, 3, 4, 5, 6};
  prog.set_flat_params(theta);
  prog.forward();
  // [2,3] row-major 1..6 is stored feature-major: 1 4 2 5 3 6.
  auto xv = prog.output_values<double>(0);
  EXPECT_EQ(std::vector<double>(xv.begin(), xv.end()), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  auto wv = prog.output_values<double>(1);  // rank 1: identical, S consecutive blocks
  EXPECT_EQ(std::vector<double>(wv.begin(), wv.end()), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

}  // namespace
}  // namespace elbo

namespace elbo {
namespace {

TEST(program, backward_alone_matches_forward_backward_for_any_threads_and_samples) {
  // y = tanh(x w) per sample, out0 = y [3], out1 = sum(y^2). Program::backward with output
  // gradients g0 (per element) and g1 (per sample) after forward() must give exactly the
  // gradient of sum(g0 . y) + g1 out1, which forward_backward gives when the gradients are
  // written into a graph as constants (1e-14: that graph sums in another order).
  for (int threads : {1, 2}) {
    for (int64_t S : {1, 2, 5}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + ", S " + std::to_string(S));
      Graph g(DType::f64);
      Tensor x(DType::f64, {3, 2}, {0.5, -1.0, 2.0, 0.25, -0.75, 1.5});
      Expr w = g.parameter("w", {2});
      Expr y = tanh(matmul(g.constant(x), w));
      Expr sq = sum(square(y));
      Program p(g, {y, sq}, {}, {.threads = threads});
      p.set_samples(S);
      std::vector<double> theta(static_cast<size_t>(2 * S)), g0(static_cast<size_t>(3 * S)), g1(static_cast<size_t>(S));
      for (int64_t i = 0; i < 2 * S; ++i) theta[i] = 0.3 * static_cast<double>(i) - 0.4;
      for (int64_t i = 0; i < 3 * S; ++i) g0[i] = 1.0 - 0.2 * static_cast<double>(i);
      for (int64_t s = 0; s < S; ++s) g1[s] = 0.5 + static_cast<double>(s);
      p.set_flat_params(theta.data());
      p.forward();
      const double* grads[2] = {g0.data(), g1.data()};
      p.backward(grads);
      std::vector<double> alone(static_cast<size_t>(2 * S));
      p.flat_gradient(alone.data());
      // The reference, one sample at a time: the same function with its weights as constants.
      for (int64_t s = 0; s < S; ++s) {
        Graph h(DType::f64);
        Expr v = h.parameter("w", {2});
        Expr yy = tanh(matmul(h.constant(x), v));
        Tensor c0(DType::f64, {3}, {g0[3 * s], g0[3 * s + 1], g0[3 * s + 2]});
        Expr f = sum(yy * h.constant(c0)) + g1[s] * sum(square(yy));
        Program r(h, {f});
        r.set_param(v, Tensor(DType::f64, {2}, {theta[2 * s], theta[2 * s + 1]}));
        const double seed[1] = {1.0};
        r.forward_backward(seed);
        Tensor gr = r.gradient(v);
        EXPECT_NEAR(alone[2 * s], gr[0], 1e-14);
        EXPECT_NEAR(alone[2 * s + 1], gr[1], 1e-14);
      }
    }
  }
}

TEST(program, backward_alone_refuses_what_it_cannot_do) {
  Graph g(DType::f64);
  Expr w = g.parameter("w", {2, 2});
  Expr d = g.data("d", Tensor(DType::f64, {2}, {1.0, 2.0}));
  Program p(g, {w * 2.0, d * 3.0});
  p.forward();
  std::vector<double> grad(4, 1.0);
  const double* rank2[2] = {grad.data(), nullptr};
  EXPECT_THROW(p.backward(rank2), InvalidArgument);
  const double* data_only[2] = {nullptr, grad.data()};
  EXPECT_THROW(p.backward(data_only), InvalidArgument);
  const double* one[1] = {nullptr};
  EXPECT_THROW(p.backward(std::span<const double* const>(one, 1)), InvalidArgument);
  // Anything set since the forward pass makes its values stale.
  Graph h(DType::f64);
  Expr v = h.parameter("v", {2});
  Expr e = h.data("e", Tensor(DType::f64, {2}, {1.0, 2.0}));
  Program q(h, {v * e});
  std::vector<double> ones(2, 1.0);
  const double* grads[1] = {ones.data()};
  EXPECT_THROW(q.backward(grads), InvalidArgument);  // no forward yet
  q.forward();
  EXPECT_NO_THROW(q.backward(grads));
  q.set_param(v, Tensor(DType::f64, {2}, {3.0, 4.0}));
  EXPECT_THROW(q.backward(grads), InvalidArgument);
  q.forward();
  q.set_threads(2);
  EXPECT_THROW(q.backward(grads), InvalidArgument);
  q.forward();
  h.set_data(e, Tensor(DType::f64, {2}, {5.0, 6.0}));
  EXPECT_THROW(q.backward(grads), InvalidArgument);
}

}  // namespace
}  // namespace elbo
