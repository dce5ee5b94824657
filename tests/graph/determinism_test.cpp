// Results are bitwise identical for any thread count: threads split the samples, and each
// sample is computed the same way whichever thread runs it.
#include <gtest/gtest.h>

#include <cstring>

#include "elbo/graph.hpp"
#include "tutorial_network.hpp"

namespace elbo {
namespace {

using testing::normal_params;
using testing::tutorial_network;

template <class T>
struct Raw {
  std::vector<std::vector<T>> outputs;
  std::vector<T> grad;
};

template <class T>
Raw<T> run_raw(DType dtype, int threads, int64_t S) {
  auto net = tutorial_network(dtype, 500);
  Expr h = tanh(matmul(net.x, net.w1));
  Program prog(net.g, {net.p, net.loglik, h}, {}, {.threads = threads});
  EXPECT_EQ(prog.threads(), threads);
  prog.set_samples(S);
  auto theta = normal_params(S, prog.flat_size(), 99);
  std::vector<T> t(theta.begin(), theta.end());
  prog.set_flat_params(t.data());
  Raw<T> r;
  std::vector<double> seeds = {0.25, 1.0, -0.5};
  for (int rep = 0; rep < 2; ++rep) prog.forward_backward(seeds);  // a repeated run changes nothing
  for (int i = 0; i < prog.num_outputs(); ++i) {
    auto v = prog.template output_values<T>(i);
    r.outputs.emplace_back(v.begin(), v.end());
  }
  r.grad.resize(static_cast<size_t>(S * prog.flat_size()));
  prog.flat_gradient(r.grad.data());
  return r;
}

template <class T>
void expect_bitwise_identical(const Raw<T>& a, const Raw<T>& b) {
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  for (size_t o = 0; o < a.outputs.size(); ++o) {
    ASSERT_EQ(a.outputs[o].size(), b.outputs[o].size());
    EXPECT_EQ(std::memcmp(a.outputs[o].data(), b.outputs[o].data(), sizeof(T) * a.outputs[o].size()), 0)
        << "output " << o;
  }
  ASSERT_EQ(a.grad.size(), b.grad.size());
  EXPECT_EQ(std::memcmp(a.grad.data(), b.grad.data(), sizeof(T) * a.grad.size()), 0) << "gradient";
}

TEST(program, forward_backward_is_bitwise_identical_for_1_and_2_threads) {
  const int64_t S = 7;
  {
    SCOPED_TRACE("float64");
    auto one = run_raw<double>(DType::f64, 1, S);
    expect_bitwise_identical(one, run_raw<double>(DType::f64, 2, S));
    expect_bitwise_identical(one, run_raw<double>(DType::f64, 3, S));
    expect_bitwise_identical(one, run_raw<double>(DType::f64, 8, S));  // more threads than samples
  }
  {
    SCOPED_TRACE("float32");
    auto one = run_raw<float>(DType::f32, 1, S);
    expect_bitwise_identical(one, run_raw<float>(DType::f32, 2, S));
    expect_bitwise_identical(one, run_raw<float>(DType::f32, 3, S));
  }
}

TEST(program, changing_threads_on_a_compiled_program_keeps_results_bitwise) {
  auto net = tutorial_network(DType::f32, 64);
  Program prog(net.g, {net.loglik});
  prog.set_samples(7);
  auto theta = normal_params(7, prog.flat_size(), 3);
  std::vector<float> t(theta.begin(), theta.end());
  prog.set_flat_params(t.data());
  std::vector<float> g1(t.size()), g2(t.size());
  prog.forward_backward(std::vector<double>{1.0});
  std::vector<float> o1(prog.output_values<float>(0).begin(), prog.output_values<float>(0).end());
  prog.flat_gradient(g1.data());
  prog.set_threads(2);
  EXPECT_EQ(prog.threads(), 2);
  prog.forward_backward(std::vector<double>{1.0});
  std::vector<float> o2(prog.output_values<float>(0).begin(), prog.output_values<float>(0).end());
  prog.flat_gradient(g2.data());
  EXPECT_EQ(std::memcmp(o1.data(), o2.data(), sizeof(float) * o1.size()), 0);
  EXPECT_EQ(std::memcmp(g1.data(), g2.data(), sizeof(float) * g1.size()), 0);
}

TEST(program, an_error_in_a_worker_thread_reaches_the_caller) {
  Graph g(DType::f64);
  Expr w = g.parameter("w", {3, 2});
  Expr idx = g.data("idx", Tensor(DType::f64, {2}, {0, 5}));  // row 5 of 3
  Program prog(g, {gather_rows(w, idx)}, {}, {.threads = 2});
  prog.set_samples(4);
  try {
    prog.forward();
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "gather_rows: index 5 at position 1 is not a row of 3");
  }
}

}  // namespace
}  // namespace elbo
