// Wide data matrices kept in the user's (row-major) layout inside a program
// (program_plan.cpp, mark_row_major_data): which inputs are kept so, and that the products
// that read them give the bits of the internal layout, whether the data comes whole
// (set_data) or as gathered rows (set_data_rows, on one thread or split over two).
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

// x [rows, width] -> tanh(x w1 + b1) [.., 40] -> w2 [40, 3] -> the sum of squares. With
// `pin`, x also feeds a sum (an op that needs the internal layout), so it is not kept
// row-major: the reference. `columns` is w1's column count.
struct Net {
  Graph g;
  Expr x, out;
};
Tensor data_rows(DType dtype, int64_t rows, int64_t width, double phase) {
  Tensor t(dtype, {rows, width});
  for (int64_t i = 0; i < rows * width; ++i) t.set(i, std::sin(0.37 * static_cast<double>(i) + phase));
  return t;
}
Net net(DType dtype, bool pin, int64_t width = 200, int64_t columns = 40, int64_t rows = 37) {
  Net n{Graph(dtype), {}, {}};
  n.x = n.g.data("x", data_rows(dtype, rows, width, 0.0));
  Expr w1 = n.g.parameter("w1", {width, columns}), b1 = n.g.parameter("b1", {columns});
  Expr w2 = n.g.parameter("w2", {columns, 3});
  Expr h = tanh(matmul(n.x, w1) + b1);
  Expr logits = matmul(h, w2);
  n.out = sum(logits * logits) * 0.01;
  if (pin) n.out = n.out + sum(n.x) * 0.0;
  return n;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(row_major_data, only_wide_data_that_dense_products_read_is_kept_row_major) {
  {
    Net n = net(DType::f32, false);
    EXPECT_TRUE(contains(Program(n.g, {n.out}).row_major_inputs(), "x"));
  }
  {
    Net n = net(DType::f32, true);  // a sum reads x too
    EXPECT_FALSE(contains(Program(n.g, {n.out}).row_major_inputs(), "x"));
  }
  {
    Net n = net(DType::f32, false, 128);  // 128 features: the short layers' kernel may read it
    EXPECT_FALSE(contains(Program(n.g, {n.out}).row_major_inputs(), "x"));
  }
  {
    Net n = net(DType::f32, false, 200, 8);  // a product of 8 columns: not Eigen's GEMM
    EXPECT_FALSE(contains(Program(n.g, {n.out}).row_major_inputs(), "x"));
  }
  {
    Net n = net(DType::f32, false, 200, 40, 8);  // 8 rows as built
    EXPECT_FALSE(contains(Program(n.g, {n.out}).row_major_inputs(), "x"));
  }
  {
    Net n = net(DType::f32, false);
    EXPECT_FALSE(contains(Program(n.g, {n.out, n.x}).row_major_inputs(), "x"));  // an output
  }
}

struct Result {
  std::vector<double> out, grad;
};

template <class T>
Result run(Program& p, const std::vector<double>& theta) {
  std::vector<T> t(theta.begin(), theta.end()), g(theta.size());
  const std::vector<double> seeds{1.0};
  p.forward_backward_flat(t.data(), seeds, g.data());
  return {p.output(0).to_vector(), std::vector<double>(g.begin(), g.end())};
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// The kept network against the pinned one on the same data, loaded by `load` into both.
template <class T, class Load>
void gives_the_internal_layouts_bits(int threads, Load load) {
  Net kept = net(dtype_of<T>(), false), pinned = net(dtype_of<T>(), true);
  Program pk(kept.g, {kept.out}), pp(pinned.g, {pinned.out});
  ASSERT_TRUE(contains(pk.row_major_inputs(), "x"));
  ASSERT_FALSE(contains(pp.row_major_inputs(), "x"));
  pk.set_threads(threads);
  pp.set_threads(threads);
  load(pk, kept.x);
  load(pp, pinned.x);
  const auto theta = normal_params(1, pk.flat_size(), 3);
  const Result a = run<T>(pk, theta), b = run<T>(pp, theta);
  EXPECT_TRUE(same_bits(a.out, b.out)) << a.out[0] << " against " << b.out[0];
  EXPECT_TRUE(same_bits(a.grad, b.grad));
  double gmax = 0;
  for (double v : b.grad) gmax = std::max(gmax, std::abs(v));
  EXPECT_GT(gmax, 0.0);  // the gradient compared is not all zeros
}

template <class T>
void every_load_gives_the_internal_layouts_bits() {
  const DType dt = dtype_of<T>();
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    gives_the_internal_layouts_bits<T>(threads, [](Program&, const Expr&) {});  // the data as built
    gives_the_internal_layouts_bits<T>(threads, [&](Program& p, const Expr& x) {
      p.set_data(x, data_rows(dt, 50, 200, 1.0));  // new values and row count
    });
    const Tensor source = data_rows(dt, 300, 200, 2.0);
    for (int64_t m : {64, 200}) {  // 64 x 200 values are gathered on one thread, 200 x 200 on all
      SCOPED_TRACE("rows " + std::to_string(m));
      std::vector<int64_t> rows;
      for (int64_t k = 0; k < m; ++k) rows.push_back((k * 131 + 7) % 300);
      gives_the_internal_layouts_bits<T>(threads, [&](Program& p, const Expr& x) { p.set_data_rows(x, source, rows); });
    }
  }
}

TEST(row_major_data, float32_products_give_the_internal_layouts_bits) {
  every_load_gives_the_internal_layouts_bits<float>();
}
TEST(row_major_data, float64_products_give_the_internal_layouts_bits) {
  every_load_gives_the_internal_layouts_bits<double>();
}

// Fewer than 16 rows take the products' other paths, which read a row-major matrix with
// its strides: the same values to rounding (float 1e-5 of the largest, a few ulp of sums of
// 200 terms; double 1e-12).
template <class T>
void a_short_batch_agrees_to_rounding(double tol) {
  Net kept = net(dtype_of<T>(), false), pinned = net(dtype_of<T>(), true);
  Program pk(kept.g, {kept.out}), pp(pinned.g, {pinned.out});
  const Tensor source = data_rows(dtype_of<T>(), 300, 200, 2.0);
  const std::vector<int64_t> rows{5, 299, 0, 17, 42};
  pk.set_data_rows(kept.x, source, rows);
  pp.set_data_rows(pinned.x, source, rows);
  const auto theta = normal_params(1, pk.flat_size(), 9);
  const Result a = run<T>(pk, theta), b = run<T>(pp, theta);
  EXPECT_NEAR(a.out[0], b.out[0], tol * std::abs(b.out[0]));
  double gmax = 0;
  for (double v : b.grad) gmax = std::max(gmax, std::abs(v));
  ASSERT_GT(gmax, 0.0);
  for (size_t i = 0; i < a.grad.size(); ++i) ASSERT_NEAR(a.grad[i], b.grad[i], tol * gmax) << "gradient " << i;
}

TEST(row_major_data, a_short_batch_agrees_with_the_internal_layout_to_rounding) {
  a_short_batch_agrees_to_rounding<float>(1e-5);
  a_short_batch_agrees_to_rounding<double>(1e-12);
}

}  // namespace
}  // namespace elbo
