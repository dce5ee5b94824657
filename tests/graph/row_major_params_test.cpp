// Large weight matrices kept in the user's (row-major) layout inside a program
// (program_plan.cpp, mark_row_major_params) and Program::forward_backward_flat, which binds
// them in place instead of copying: the same results as the general calls and, to
// rounding, as the internal layout's; the same bits for any thread count; and no use of
// the caller's arrays once the call is over.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "elbo/graph.hpp"
#include "tutorial_network.hpp"

namespace elbo {
namespace {

using testing::normal_params;

// x [rows, 80] -> 500 -> 33 -> 3: w1 [80, 500] (40,000 weights) and w2 [500, 33] (16,500)
// are large enough to be kept row-major; b1 [500] and the small w3 [33, 3] are not (w1's
// gradient, 80 x 37 x 500 multiply-adds at 37 rows, runs in two blocks of its rows). Both
// weights also have a N(0, 1.5) prior (normal_logp_sum), whose gradient adds to the
// product's in the row-major buffer. With `pin`, w1 also feeds a sum (an op that needs the
// internal layout), so it is not kept so. Fewer than 16 rows take the products' short
// paths (axpy over the rows, dot products for the weight gradient) instead of Eigen's GEMM.
struct Wide {
  Graph g;
  Expr w1, w2, w3, b1, out;
};
Wide wide_network(DType dtype, bool pin, int64_t rows = 37) {
  Wide n{Graph(dtype), {}, {}, {}, {}, {}};
  Tensor xv(dtype, {rows, 80});
  for (int64_t i = 0; i < rows * 80; ++i) xv.set(i, std::sin(0.37 * static_cast<double>(i)));
  Expr x = n.g.data("x", xv);
  n.w1 = n.g.parameter("w1", {80, 500});
  n.b1 = n.g.parameter("b1", {500});
  n.w2 = n.g.parameter("w2", {500, 33});
  n.w3 = n.g.parameter("w3", {33, 3});
  Expr h = tanh(matmul(x, n.w1) + n.b1);
  Expr logits = matmul(tanh(matmul(h, n.w2)), n.w3);
  const Expr ws[] = {n.w1, n.w2};
  n.out = sum(logits * logits) * 0.01 + normal_logp_sum(ws, 0.0, 1.5);
  if (pin) n.out = n.out + sum(n.w1) * 0.0;
  return n;
}

struct Result {
  std::vector<double> out, grad;
};

// One run through forward_backward_flat (flat) or the three general calls.
template <class T>
Result run(Program& p, const std::vector<double>& theta, bool flat) {
  std::vector<T> t(theta.begin(), theta.end()), g(theta.size());
  const std::vector<double> seeds{1.0};
  if (flat) {
    p.forward_backward_flat(t.data(), seeds, g.data());
  } else {
    p.set_flat_params(t.data());
    p.forward_backward(seeds);
    p.flat_gradient(g.data());
  }
  Result r;
  r.out = p.output(0).to_vector();
  r.grad.assign(g.begin(), g.end());
  return r;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

template <class T>
void agrees_with_the_internal_layout(double tol, int64_t rows = 37) {
  Wide kept = wide_network(dtype_of<T>(), false, rows), pinned = wide_network(dtype_of<T>(), true, rows);
  Program pk(kept.g, {kept.out}), pp(pinned.g, {pinned.out});
  ASSERT_EQ(pk.flat_size(), pp.flat_size());
  const auto theta = normal_params(1, pk.flat_size());
  const Result flat = run<T>(pk, theta, true), general = run<T>(pk, theta, false);
  const Result internal = run<T>(pp, theta, false);
  // The same program gives the same bits through either call.
  EXPECT_TRUE(same_bits(flat.out, general.out));
  EXPECT_TRUE(same_bits(flat.grad, general.grad));
  // Against the internal layout: the products and the prior's sum add in another order,
  // so the results agree to rounding: `tol` relative to the largest value (float: 1e-5,
  // about 100 ulp of sums of 500 terms; double: 1e-12).
  EXPECT_NEAR(flat.out[0], internal.out[0], tol * std::abs(internal.out[0]));
  double gmax = 0;
  for (double v : internal.grad) gmax = std::max(gmax, std::abs(v));
  ASSERT_GT(gmax, 0.0);
  for (size_t i = 0; i < flat.grad.size(); ++i)
    ASSERT_NEAR(flat.grad[i], internal.grad[i], tol * gmax) << "gradient " << i;
}

TEST(row_major_params, float32_gives_the_internal_layouts_results_to_rounding) {
  agrees_with_the_internal_layout<float>(1e-5);
}
TEST(row_major_params, float64_gives_the_internal_layouts_results_to_rounding) {
  agrees_with_the_internal_layout<double>(1e-12);
}

TEST(row_major_params, a_short_batch_takes_the_short_paths_with_the_same_results) {
  for (int64_t rows : {1, 5, 9}) {
    SCOPED_TRACE("rows " + std::to_string(rows));
    agrees_with_the_internal_layout<float>(1e-5, rows);
    agrees_with_the_internal_layout<double>(1e-12, rows);
  }
}

TEST(row_major_params, the_same_bits_for_any_thread_count) {
  Wide n = wide_network(DType::f32, false);
  const std::vector<double> theta = normal_params(1, Program(n.g, {n.out}).flat_size(), 11);
  Result first;
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    Program p(n.g, {n.out});
    p.set_threads(threads);
    const Result r = run<float>(p, theta, true);
    if (threads == 1) {
      first = r;
      continue;
    }
    EXPECT_TRUE(same_bits(r.out, first.out));
    EXPECT_TRUE(same_bits(r.grad, first.grad));
  }
}

TEST(row_major_params, several_samples_copy_each_one_and_match_one_sample_runs) {
  // With S > 1 nothing is bound: the flat call is the three general calls, and each
  // sample's results are those of a one-sample run (which binds).
  Wide n = wide_network(DType::f64, false);
  Program many(n.g, {n.out}), one(n.g, {n.out});
  const int64_t S = 3, D = many.flat_size();
  many.set_samples(S);
  const auto theta = normal_params(S, D, 5);
  std::vector<double> g(static_cast<size_t>(S * D));
  const std::vector<double> seeds{1.0};
  many.forward_backward_flat(theta.data(), seeds, g.data());
  const std::vector<double> outs = many.output(0).to_vector();
  const std::vector<double> gw1 = many.gradient(n.w1).to_vector();  // allowed: nothing was bound
  const int64_t n1 = numel(n.w1.shape());
  for (int64_t s = 0; s < S; ++s) {
    SCOPED_TRACE("sample " + std::to_string(s));
    const std::vector<double> ts(theta.begin() + s * D, theta.begin() + (s + 1) * D);
    const Result r = run<double>(one, ts, true);
    EXPECT_EQ(r.out[0], outs[static_cast<size_t>(s)]);
    EXPECT_TRUE(same_bits(r.grad, std::vector<double>(g.begin() + s * D, g.begin() + (s + 1) * D)));
    for (int64_t k = 0; k < n1; ++k)  // gradient() is row-major, as the flat vector
      ASSERT_EQ(gw1[static_cast<size_t>(s * n1 + k)], g[static_cast<size_t>(s * D + many.flat_offset(0) + k)]);
  }
}

TEST(row_major_params, nothing_reads_the_callers_arrays_after_the_call) {
  Wide n = wide_network(DType::f32, false);
  Program p(n.g, {n.out});
  const auto theta = normal_params(1, p.flat_size(), 3);
  const Result before = run<float>(p, theta, true);
  // The outputs stay readable; whatever would read the weights refuses, naming the fix.
  EXPECT_EQ(p.output(0).to_vector(), before.out);
  std::vector<float> g(theta.size());
  const std::vector<double> seeds{1.0};
  for (const std::string fn : {"forward", "forward_backward", "flat_gradient", "gradient"}) {
    SCOPED_TRACE(fn);
    try {
      if (fn == "forward") p.forward();
      if (fn == "forward_backward") p.forward_backward(seeds);
      if (fn == "flat_gradient") p.flat_gradient(g.data());
      if (fn == "gradient") (void)p.gradient(n.w1);
      ADD_FAILURE() << "no error";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("Program::" + fn + ":"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("set_flat_params"), std::string::npos) << e.what();
    }
  }
  // A wrong seed count is refused before anything is bound.
  EXPECT_THROW(p.forward_backward_flat(std::vector<float>(theta.begin(), theta.end()).data(),
                                       std::vector<double>{1.0, 1.0}, g.data()),
               InvalidArgument);
  // set_flat_params gives them again: the general calls then give the flat call's bits.
  const Result after = run<float>(p, theta, false);
  EXPECT_TRUE(same_bits(after.out, before.out));
  EXPECT_TRUE(same_bits(after.grad, before.grad));
  // So does set_param for each parameter, from row-major tensors.
  (void)run<float>(p, theta, true);
  for (int k = 0; k < static_cast<int>(p.params().size()); ++k) {
    const Expr& w = p.params()[static_cast<size_t>(k)];
    Tensor v(DType::f32, w.shape());
    for (int64_t i = 0; i < numel(w.shape()); ++i) v.set(i, static_cast<double>(static_cast<float>(theta[static_cast<size_t>(p.flat_offset(k) + i)])));
    p.set_param(w, v);
  }
  p.forward();
  EXPECT_TRUE(same_bits(p.output(0).to_vector(), before.out));
}

TEST(row_major_params, a_weight_with_another_consumer_stays_internal_and_is_copied) {
  // With w1 pinned to the internal layout the other large weight is still bound, so the
  // refusal after the call shows binding happened; a network with no large weight binds
  // nothing, and forward() after the call is then allowed.
  Wide n = wide_network(DType::f32, true);
  Program p(n.g, {n.out});
  (void)run<float>(p, normal_params(1, p.flat_size()), true);
  EXPECT_THROW(p.forward(), InvalidArgument);  // w2 is bound
  auto tut = testing::tutorial_network(DType::f32, 50);
  Program small(tut.g, {tut.loglik});
  (void)run<float>(small, normal_params(1, small.flat_size()), true);
  EXPECT_NO_THROW(small.forward());
}

}  // namespace
}  // namespace elbo
