// A program runs act(matmul(a, b)) as one op when nothing else uses the product
// (src/graph/ops/matmul_activation_op.cpp). Its values and gradients must be the same bits
// as the two ops run one after the other: the reference here is the same graph with the
// product also an output, which keeps the program from fusing it.
//
// Also the matrix-product kernels at the sizes where they switch paths (rows below one
// packet, whole packets, a tail, 4-packet blocks, Eigen's GEMM from 16), against a plain
// triple loop in long double.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "elbo/graph.hpp"

namespace elbo {
namespace {

// Deterministic values in about [-1.5, 1.5], different for each (salt, i).
double value(int salt, int64_t i) { return 1.5 * std::sin(0.37 * static_cast<double>(i) + 1.1 * salt); }

Tensor filled(DType dtype, const Shape& shape, int salt) {
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.set(i, value(salt, i));
  return t;
}

struct Result {
  std::vector<double> out, grad_a, grad_b, grad_bias;
  std::vector<std::string> ops;
};

enum class Bias { none, after, before };  // none, matmul(a, b) + bias, bias + matmul(a, b)

// y = act(matmul(a, b) [+ bias]) with a data [N, K] or a parameter, b a parameter [K, M]
// (or [K]), bias a parameter [M]; the loss sums y times fixed weights, so every output
// element gets its own gradient. keep_product: the product is an output too, which keeps
// the program from fusing it. bias_prior: the loss also has a normal prior on the bias, so
// its gradient has two terms (the fused op's then adds to the prior's, or the other way).
Result run(DType dtype, int64_t N, int64_t K, int64_t M, bool a_param, const std::function<Expr(Expr)>& act,
           bool keep_product, Bias with_bias = Bias::none, bool bias_prior = false) {
  Graph g(dtype);
  Expr a = a_param ? g.parameter("a", {N, K}) : g.data("a", filled(dtype, {N, K}, 1));
  Expr b = M > 0 ? g.parameter("b", {K, M}) : g.parameter("b", {K});
  Expr bias = with_bias == Bias::none ? Expr() : g.parameter("bias", {M});
  Expr prod = matmul(a, b);
  Expr y = act(with_bias == Bias::none ? prod : with_bias == Bias::after ? prod + bias : bias + prod);
  Expr loss = sum(y * g.constant(filled(dtype, y.shape(), 3)));
  if (bias_prior) {
    const Expr priors[] = {bias};
    loss = normal_logp_sum(priors, 0.0, 1.5) + loss;
  }
  std::vector<Expr> outs = {loss, y};
  if (keep_product) outs.push_back(prod);
  std::vector<Expr> params = {b};
  if (a_param) params.insert(params.begin(), a);
  if (bias.valid()) params.push_back(bias);
  Program p(g, outs, params);
  for (const Expr& q : params) p.set_param(q, filled(dtype, q.shape(), q.id()));
  std::vector<double> seeds(outs.size(), 0.0);
  seeds[0] = 1.0;
  p.forward_backward(seeds);
  Result r;
  r.out = p.output(1).to_vector();
  r.grad_b = p.gradient(b).to_vector();
  if (a_param) r.grad_a = p.gradient(a).to_vector();
  if (bias.valid()) r.grad_bias = p.gradient(bias).to_vector();
  r.ops = p.executed_ops();
  return r;
}

bool bitwise_equal(const std::vector<double>& x, const std::vector<double>& y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
}

TEST(matmul_fusion, fused_activation_gives_the_bits_of_matmul_then_the_activation) {
  const std::pair<const char*, std::function<Expr(Expr)>> acts[] = {
      {"tanh", [](Expr x) { return tanh(x); }},
      {"relu", [](Expr x) { return relu(x); }},
      {"sigmoid", [](Expr x) { return sigmoid(x); }},
  };
  // Rows: fewer than a packet, whole packets (8 doubles, 16 floats), tails, 4-packet blocks,
  // the tutorial's 50 and 500; widths up to 7 (the axpy blocks group up to 6 columns),
  // 17 x 20 and 64 x 32 (the axpy loop of a short hidden layer) and 129 x 33 (Eigen's GEMM);
  // M = 0 is a vector weight.
  const int64_t rows[] = {1, 7, 8, 16, 17, 50, 64, 65, 500};
  const std::array<int64_t, 2> widths[] = {{2, 5}, {5, 5}, {5, 0}, {3, 7}, {1, 1}, {17, 20}, {64, 32}, {129, 33}};
  for (DType dt : {DType::f64, DType::f32})
    for (const auto& [name, act] : acts)
      for (int64_t N : rows)
        for (auto [K, M] : widths)
          for (bool a_param : {false, true}) {
            SCOPED_TRACE(::testing::Message() << name << " " << dtype_name(dt) << " N=" << N << " K=" << K
                                              << " M=" << M << (a_param ? " a parameter" : " a data"));
            Result fused = run(dt, N, K, M, a_param, act, false);
            Result plain = run(dt, N, K, M, a_param, act, true);
            const std::string op = std::string("matmul_") + name;
            EXPECT_EQ(std::count(fused.ops.begin(), fused.ops.end(), op), 1);
            EXPECT_EQ(std::count(plain.ops.begin(), plain.ops.end(), op), 0);
            EXPECT_TRUE(bitwise_equal(fused.out, plain.out));
            EXPECT_TRUE(bitwise_equal(fused.grad_b, plain.grad_b));
            EXPECT_TRUE(bitwise_equal(fused.grad_a, plain.grad_a));
          }
}

// The same with a bias between the product and the activation (and with no activation: an
// output layer's logits), the bias added on either side, its gradient written by the fused
// op alone or added to a prior's.
TEST(matmul_fusion, fused_bias_and_activation_give_the_bits_of_matmul_add_then_the_activation) {
  const std::tuple<const char*, const char*, std::function<Expr(Expr)>> acts[] = {
      {"tanh", "matmul_bias_tanh", [](Expr x) { return tanh(x); }},
      {"relu", "matmul_bias_relu", [](Expr x) { return relu(x); }},
      {"sigmoid", "matmul_bias_sigmoid", [](Expr x) { return sigmoid(x); }},
      {"none", "matmul_bias", [](Expr x) { return x; }},
  };
  // As above, without the vector weight; 130 x 150 x 100 is a product of 2^20 multiply-adds
  // and more, which Eigen's GEMM runs in two blocks of columns (one after the other here).
  const int64_t rows[] = {1, 7, 8, 17, 50, 65, 130};
  const std::array<int64_t, 2> widths[] = {{2, 5}, {5, 5}, {3, 7}, {1, 1}, {17, 20}, {64, 32}, {129, 33}, {150, 100}};
  for (DType dt : {DType::f64, DType::f32})
    for (const auto& [name, op, act] : acts)
      for (int64_t N : rows)
        for (auto [K, M] : widths)
          for (Bias side : {Bias::after, Bias::before}) {
            const bool a_param = N % 2 == 1;  // both kinds over the rows
            SCOPED_TRACE(::testing::Message() << name << " " << dtype_name(dt) << " N=" << N << " K=" << K
                                              << " M=" << M << (side == Bias::after ? " w + bias" : " bias + w"));
            const bool prior = (N + K) % 2 == 0;
            Result fused = run(dt, N, K, M, a_param, act, false, side, prior);
            Result plain = run(dt, N, K, M, a_param, act, true, side, prior);
            EXPECT_EQ(std::count(fused.ops.begin(), fused.ops.end(), std::string(op)), 1);
            EXPECT_EQ(std::count(plain.ops.begin(), plain.ops.end(), std::string(op)), 0);
            // (The only add left is the loss's prior + data term.)
            EXPECT_EQ(std::count(fused.ops.begin(), fused.ops.end(), std::string("add")), prior ? 1 : 0);
            EXPECT_TRUE(bitwise_equal(fused.out, plain.out));
            EXPECT_TRUE(bitwise_equal(fused.grad_b, plain.grad_b));
            EXPECT_TRUE(bitwise_equal(fused.grad_a, plain.grad_a));
            EXPECT_TRUE(bitwise_equal(fused.grad_bias, plain.grad_bias));
          }
}

TEST(matmul_fusion, a_sum_used_twice_keeps_its_add_and_both_uses_are_right) {
  // tanh(p + bias) and p + bias itself feed the loss: only the add (bias fused, no activation)
  // may run fused, and the tanh reads its sum.
  for (DType dt : {DType::f64, DType::f32}) {
    Graph g(dt);
    Expr x = g.data("x", filled(dt, {50, 2}, 1));
    Expr w = g.parameter("w", {2, 5}), bias = g.parameter("bias", {5});
    Expr z = matmul(x, w) + bias;
    Expr loss = sum(tanh(z)) + sum(z * z);
    Program prog(g, {loss}, {w, bias});
    prog.set_param(w, filled(dt, {2, 5}, 2));
    prog.set_param(bias, filled(dt, {5}, 4));
    double seed[1] = {1.0};
    prog.forward_backward(seed);
    const std::vector<std::string> ops = prog.executed_ops();
    EXPECT_EQ(std::count(ops.begin(), ops.end(), std::string("matmul_bias")), 1);
    EXPECT_EQ(std::count(ops.begin(), ops.end(), std::string("tanh")), 1);
    // d/dw = x^T d, d/dbias = sum over rows of d, d = 1 - tanh(z)^2 + 2 z, in double.
    Tensor xv = filled(DType::f64, {50, 2}, 1), wv = filled(DType::f64, {2, 5}, 2), bv = filled(DType::f64, {5}, 4);
    std::vector<double> grad(10, 0.0), grad_bias(5, 0.0);
    double expect_loss = 0;
    for (int64_t r = 0; r < 50; ++r)
      for (int64_t j = 0; j < 5; ++j) {
        double zj = xv[r * 2] * wv[j] + xv[r * 2 + 1] * wv[5 + j] + bv[j];
        expect_loss += std::tanh(zj) + zj * zj;
        double d = 1 - std::tanh(zj) * std::tanh(zj) + 2 * zj;
        grad[j] += xv[r * 2] * d;
        grad[5 + j] += xv[r * 2 + 1] * d;
        grad_bias[j] += d;
      }
    const double tol = dt == DType::f64 ? 1e-12 : 2e-5;  // float: 24-bit sums of 50 terms
    EXPECT_NEAR(prog.output(0)[0], expect_loss, tol * std::abs(expect_loss));
    std::vector<double> got = prog.gradient(w).to_vector(), got_bias = prog.gradient(bias).to_vector();
    for (int i = 0; i < 10; ++i) EXPECT_NEAR(got[i], grad[i], tol * std::max(1.0, std::abs(grad[i]))) << i;
    for (int i = 0; i < 5; ++i)
      EXPECT_NEAR(got_bias[i], grad_bias[i], tol * std::max(1.0, std::abs(grad_bias[i]))) << i;
  }
}

// Patterns the bias fusion must leave alone, each run with and without the rewrites: the
// same bits either way, and no fused bias op where it does not apply.
TEST(matmul_fusion, a_bias_that_is_not_a_vector_over_the_columns_or_a_fixed_product_is_not_fused) {
  struct Inputs {
    Graph g;
    Expr x, w, b_vec, b_row, b_scalar, b_one;  // b_vec [5], b_row [1, 5], b_scalar [], b_one [1]
  };
  struct Case {
    const char* what;
    std::function<Expr(Inputs&)> net;
  };
  const Case cases[] = {
      {"bias [1, M]", [](Inputs& n) { return tanh(matmul(n.x, n.w) + n.b_row); }},
      {"scalar bias", [](Inputs& n) { return matmul(n.x, n.w) + n.b_scalar; }},
      {"bias [1], M = 5", [](Inputs& n) { return tanh(matmul(n.x, n.w) + n.b_one); }},
      {"product also summed",
       [](Inputs& n) {
         Expr p = matmul(n.x, n.w);
         return tanh(p + n.b_vec) + sum(p);
       }},
      {"product also summed, no activation",
       [](Inputs& n) {
         Expr p = matmul(n.x, n.w);
         return (p + n.b_vec) * sum(p);
       }},
      // The product depends on no parameter: the add is sampled (its bias is a parameter),
      // the product is not, and has no gradient buffer to lend.
      {"data times a constant, a bias, tanh",
       [](Inputs& n) { return tanh(matmul(n.x, n.g.constant(filled(n.g.dtype(), {2, 5}, 7))) + n.b_vec); }},
      {"data times a constant, a bias",
       [](Inputs& n) { return matmul(n.x, n.g.constant(filled(n.g.dtype(), {2, 5}, 7))) + n.b_vec; }},
  };
  for (DType dt : {DType::f64, DType::f32})
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + " " + c.what);
      std::vector<double> out[2], grad[2];
      std::vector<std::string> ops[2];
      for (int rewrites = 0; rewrites < 2; ++rewrites) {
        Inputs n{Graph(dt), {}, {}, {}, {}, {}, {}};
        n.x = n.g.data("x", filled(dt, {50, 2}, 1));
        n.w = n.g.parameter("w", {2, 5});
        n.b_vec = n.g.parameter("b_vec", {5});
        n.b_row = n.g.parameter("b_row", {1, 5});
        n.b_scalar = n.g.parameter("b_scalar", {});
        n.b_one = n.g.parameter("b_one", {1});
        Expr y = c.net(n);
        Expr loss = sum(y * n.g.constant(filled(dt, y.shape(), 3)));
        Program p(n.g, {loss}, {n.w, n.b_vec, n.b_row, n.b_scalar, n.b_one}, {.rewrites = rewrites == 1});
        for (const Expr& q : p.params()) p.set_param(q, filled(dt, q.shape(), q.id()));
        double seed[1] = {1.0};
        p.forward_backward(seed);
        ops[rewrites] = p.executed_ops();
        out[rewrites] = p.output(0).to_vector();
        if (dt == DType::f64) {
          grad[rewrites].resize(static_cast<size_t>(p.flat_size()));
          p.flat_gradient(grad[rewrites].data());
        } else {
          std::vector<float> gf(static_cast<size_t>(p.flat_size()));
          p.flat_gradient(gf.data());
          grad[rewrites].assign(gf.begin(), gf.end());
        }
      }
      for (const char* op : {"matmul_bias", "matmul_bias_tanh"})
        EXPECT_EQ(std::count(ops[1].begin(), ops[1].end(), std::string(op)), 0) << op;
      EXPECT_TRUE(bitwise_equal(out[1], out[0]));
      EXPECT_TRUE(bitwise_equal(grad[1], grad[0]));
    }
}

TEST(matmul_fusion, a_product_used_twice_is_not_fused_and_both_uses_are_right) {
  // tanh(p) and p itself feed the loss: the product must be computed and kept.
  for (DType dt : {DType::f64, DType::f32}) {
    Graph g(dt);
    Expr x = g.data("x", filled(dt, {50, 2}, 1));
    Expr w = g.parameter("w", {2, 5});
    Expr p = matmul(x, w);
    Expr loss = sum(tanh(p)) + sum(p * p);
    Program prog(g, {loss}, {w});
    prog.set_param(w, filled(dt, {2, 5}, 2));
    double seed[1] = {1.0};
    prog.forward_backward(seed);
    // d/dw = x^T (1 - tanh(p)^2 + 2 p), from the values directly in double.
    Tensor xv = filled(DType::f64, {50, 2}, 1), wv = filled(DType::f64, {2, 5}, 2);
    std::vector<double> grad(10, 0.0);
    double expect_loss = 0;
    for (int64_t r = 0; r < 50; ++r)
      for (int64_t j = 0; j < 5; ++j) {
        double pj = xv[r * 2] * wv[j] + xv[r * 2 + 1] * wv[5 + j];
        expect_loss += std::tanh(pj) + pj * pj;
        double d = 1 - std::tanh(pj) * std::tanh(pj) + 2 * pj;
        grad[j] += xv[r * 2] * d;
        grad[5 + j] += xv[r * 2 + 1] * d;
      }
    const double tol = dt == DType::f64 ? 1e-12 : 2e-5;  // float: 24-bit sums of 50 terms
    EXPECT_NEAR(prog.output(0)[0], expect_loss, tol * std::abs(expect_loss));
    std::vector<double> got = prog.gradient(w).to_vector();
    for (int i = 0; i < 10; ++i) EXPECT_NEAR(got[i], grad[i], tol * std::max(1.0, std::abs(grad[i]))) << i;
  }
}

// C = A B and the two gradients of sum(C .* G) against long double loops, for the shapes
// where the kernels change paths: the weight gradient of a narrow layer (rows between one
// and four packets: tiles of up to 25 dot products) included.
// Also hidden layers of up to 128 inputs and 32 units (the axpy loop, not Eigen's GEMM,
// from 16 columns on) and just past them (Eigen's).
TEST(matmul_kernels, products_and_gradients_match_a_plain_loop) {
  struct Sizes {
    std::vector<int64_t> N, K, M;
  };
  const Sizes sizes[] = {{{1, 3, 8, 15, 16, 17, 31, 50, 63, 64, 100}, {1, 2, 5, 9}, {1, 2, 5, 6, 7, 9}},
                         {{16, 17, 100}, {17, 64, 128, 129}, {16, 32, 33}}};
  for (DType dt : {DType::f64, DType::f32})
    for (const Sizes& z : sizes)
      for (int64_t N : z.N)
        for (int64_t K : z.K)
          for (int64_t M : z.M) {
            SCOPED_TRACE(::testing::Message() << dtype_name(dt) << " N=" << N << " K=" << K << " M=" << M);
            Graph g(dt);
            Expr a = g.parameter("a", {N, K}), b = g.parameter("b", {K, M});
            Tensor gv = filled(dt, {N, M}, 5);
            Expr loss = sum(matmul(a, b) * g.constant(gv));
            Program p(g, {loss, matmul(a, b)}, {a, b});
            Tensor av = filled(dt, {N, K}, 1), bv = filled(dt, {K, M}, 2);
            p.set_param(a, av);
            p.set_param(b, bv);
            double seeds[2] = {1.0, 0.0};
            p.forward_backward(seeds);
            std::vector<double> c = p.output(1).to_vector(), da = p.gradient(a).to_vector(),
                                db = p.gradient(b).to_vector();
            // Each entry is a sum of at most 129 products of values below 1.5 in size.
            const double tol = dt == DType::f64 ? 1e-12 : 2e-4;
            for (int64_t n = 0; n < N; ++n)
              for (int64_t m = 0; m < M; ++m) {
                long double s = 0;
                for (int64_t k = 0; k < K; ++k) s += (long double)av[n * K + k] * bv[k * M + m];
                ASSERT_NEAR(c[n * M + m], (double)s, tol) << "C[" << n << "," << m << "]";
              }
            for (int64_t n = 0; n < N; ++n)
              for (int64_t k = 0; k < K; ++k) {
                long double s = 0;
                for (int64_t m = 0; m < M; ++m) s += (long double)gv[n * M + m] * bv[k * M + m];
                ASSERT_NEAR(da[n * K + k], (double)s, tol) << "dA[" << n << "," << k << "]";
              }
            for (int64_t k = 0; k < K; ++k)
              for (int64_t m = 0; m < M; ++m) {
                long double s = 0;
                for (int64_t n = 0; n < N; ++n) s += (long double)av[n * K + k] * gv[n * M + m];
                ASSERT_NEAR(db[k * M + m], (double)s, tol) << "dB[" << k << "," << m << "]";
              }
          }
}

// A dense layer's gradients on a short batch (one to sixteen packets of rows, up to 6
// output columns) run in one pass (dense_backward_short in src/graph/ops/matmul_kernels.hpp)
// that must give the bits of the general path: the row counts cover both of its summation
// orders (below and from 4 packets, for float and double packets of 16 or 8, or 4 and 2
// without AVX-512) and the general path beyond it (256). The reference is the same product with a batch
// dimension of 1, a [1, N, K], which takes the general path. `a` also feeds a second
// product, so its gradient is written once and then added to (both branches of the pass);
// one case puts an inf into `a`, for the recomputation of a non-finite weight gradient.
TEST(matmul_kernels, short_batch_gradients_are_the_bits_of_the_general_path) {
  auto grads = [](DType dt, int64_t N, int64_t K, int64_t M, bool batched, bool with_inf) {
    Graph g(dt);
    Tensor av = filled(dt, {N, K}, 1);
    if (with_inf) av.set(N * K / 2, std::numeric_limits<double>::infinity());
    Expr a = batched ? g.parameter("a", {1, N, K}) : g.parameter("a", {N, K});
    Expr b = M > 0 ? g.parameter("b", {K, M}) : g.parameter("b", {K});
    Expr b2 = g.parameter("b2", {K, 3});
    Expr y = matmul(a, b), y2 = matmul(a, b2);
    Expr loss = sum(y * g.constant(filled(dt, y.shape(), 3))) + sum(y2 * g.constant(filled(dt, y2.shape(), 4)));
    Program p(g, {loss}, {a, b, b2});
    p.set_param(a, batched ? av.reshaped({1, N, K}) : av);
    p.set_param(b, filled(dt, b.shape(), 2));
    p.set_param(b2, filled(dt, b2.shape(), 6));
    double seed = 1.0;
    p.forward_backward(std::span<const double>(&seed, 1));
    std::vector<std::vector<double>> r = {p.gradient(a).to_vector(), p.gradient(b).to_vector(),
                                          p.gradient(b2).to_vector()};
    return r;
  };
  int compared = 0;
  for (DType dt : {DType::f64, DType::f32})
    for (int64_t N : {8, 9, 15, 16, 17, 31, 32, 33, 50, 63, 64, 65, 100, 127, 128, 200, 255, 256})
      for (int64_t K : {1, 2, 5, 8})
        for (int64_t M : {0, 1, 2, 5, 6})
          for (bool with_inf : {false, true}) {
            if (with_inf && (K != 5 || M != 5)) continue;
            SCOPED_TRACE(::testing::Message() << dtype_name(dt) << " N=" << N << " K=" << K << " M=" << M
                                              << (with_inf ? " with an inf" : ""));
            auto fast = grads(dt, N, K, M, false, with_inf), general = grads(dt, N, K, M, true, with_inf);
            for (size_t w = 0; w < fast.size(); ++w) {
              ASSERT_EQ(fast[w].size(), general[w].size());
              for (size_t i = 0; i < fast[w].size(); ++i) {
                const double x = fast[w][i], y = general[w][i];
                if (std::isnan(x) && std::isnan(y)) continue;
                ASSERT_EQ(std::memcmp(&x, &y, sizeof x), 0) << "gradient " << w << "[" << i << "]: " << x << " vs " << y;
                ++compared;
              }
            }
          }
  EXPECT_GT(compared, 10000);
}

// A two-layer network's products of at least 2^20 multiply-adds run in blocks of C's columns
// (gemm_eigen_blocks), on the threads a one-draw run lends its kernels: the value and
// every gradient are the same bits for 1, 2 and 3 threads, and match a plain loop in long
// double. Sizes: 128 rows, 300 inputs, 96 and 600 units (two and four blocks), and the
// weight gradients' products (300 x 96 and 96 x 600 over 128 rows).
TEST(matmul_kernels, large_products_split_over_threads_give_the_same_bits_for_any_thread_count) {
  const int64_t N = 128, K = 300, H = 96, M = 600;
  for (DType dt : {DType::f64, DType::f32}) {
    auto run = [&](int threads) {
      Graph g(dt);
      Expr x = g.data("x", filled(dt, {N, K}, 1));
      Expr w1 = g.parameter("w1", {K, H}), w2 = g.parameter("w2", {H, M});
      Expr y = matmul(tanh(matmul(x, w1)), w2);
      Expr loss = sum(y * g.constant(filled(dt, {N, M}, 3)));
      Program p(g, {loss, y}, {w1, w2}, ProgramOptions{threads});
      p.set_param(w1, filled(dt, {K, H}, 4));
      p.set_param(w2, filled(dt, {H, M}, 5));
      double seeds[2] = {1.0, 0.0};
      p.forward_backward(seeds);
      return std::vector<std::vector<double>>{p.output(1).to_vector(), p.gradient(w1).to_vector(),
                                              p.gradient(w2).to_vector()};
    };
    const auto one = run(1);
    for (int threads : {2, 3}) {
      const auto more = run(threads);
      for (size_t k = 0; k < one.size(); ++k)
        ASSERT_EQ(std::memcmp(one[k].data(), more[k].data(), one[k].size() * sizeof(double)), 0)
            << dtype_name(dt) << " threads " << threads << " result " << k;
    }
    // y = tanh(x w1) w2 against long double (float: 24-bit sums of 300 and 96 terms).
    Tensor xv = filled(DType::f64, {N, K}, 1), w1v = filled(DType::f64, {K, H}, 4), w2v = filled(DType::f64, {H, M}, 5);
    const double tol = dt == DType::f64 ? 1e-11 : 2e-3;
    for (int64_t n = 0; n < N; n += 17) {
      std::vector<long double> h(static_cast<size_t>(H));
      for (int64_t j = 0; j < H; ++j) {
        long double a = 0;
        for (int64_t k = 0; k < K; ++k) a += (long double)xv[n * K + k] * w1v[k * H + j];
        h[static_cast<size_t>(j)] = std::tanh(static_cast<double>(a));
      }
      for (int64_t m = 0; m < M; m += 37) {
        long double a = 0;
        for (int64_t j = 0; j < H; ++j) a += h[static_cast<size_t>(j)] * w2v[j * M + m];
        ASSERT_NEAR(one[0][static_cast<size_t>(n * M + m)], static_cast<double>(a), tol)
            << "y[" << n << "," << m << "]";
      }
    }
  }
}

}  // namespace
}  // namespace elbo
