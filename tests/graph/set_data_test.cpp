// Data inputs are replaceable without rebuilding, including with a different number of
// rows: through the graph (every program sees it), through one program, and by gathering
// minibatch rows. Each must give what a graph built fresh on that data gives.
#include <gtest/gtest.h>

#include <numeric>

#include "elbo/graph.hpp"
#include "tutorial_network.hpp"

namespace elbo {
namespace {

using testing::moons_x;
using testing::moons_y;
using testing::normal_params;
using testing::run_program;
using testing::RunResult;
using testing::tutorial_network;

constexpr int64_t S = 3;

// Values other than the first rows of moons_x, so a stale buffer cannot pass.
Tensor other_x(DType d, int64_t rows) {
  Tensor t = moons_x(d, rows);
  for (int64_t i = 0; i < t.numel(); ++i) t.set(i, 0.75 * t[i] - 0.1);
  return t;
}
Tensor other_y(DType d, int64_t rows) {
  Tensor t(d, {rows});
  for (int64_t i = 0; i < rows; ++i) t.set(i, static_cast<double>((i / 3) % 2));
  return t;
}

RunResult fresh_run(const Tensor& x, const Tensor& y, const std::vector<double>& theta) {
  auto net = tutorial_network(x, y);
  Program prog(net.g, {net.p, net.loglik});
  prog.set_samples(S);
  return run_program(prog, theta, {0.0, 1.0});
}

void expect_same(const RunResult& a, const RunResult& b) {
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  for (size_t o = 0; o < a.outputs.size(); ++o) {
    ASSERT_EQ(a.outputs[o].size(), b.outputs[o].size()) << "output " << o;
    for (size_t i = 0; i < a.outputs[o].size(); ++i)
      ASSERT_NEAR(a.outputs[o][i], b.outputs[o][i], 1e-12 * std::max(1.0, std::abs(b.outputs[o][i])))
          << "output " << o << " element " << i;
  }
  ASSERT_EQ(a.grad.size(), b.grad.size());
  for (size_t i = 0; i < a.grad.size(); ++i)
    ASSERT_NEAR(a.grad[i], b.grad[i], 1e-12 * std::max(1.0, std::abs(b.grad[i]))) << "gradient " << i;
}

TEST(graph, set_data_with_a_different_row_count_matches_a_fresh_graph) {
  auto net = tutorial_network(DType::f64, 500);
  Program prog(net.g, {net.p, net.loglik});
  prog.set_samples(S);
  auto theta = normal_params(S, prog.flat_size());
  RunResult before = run_program(prog, theta, {0.0, 1.0});
  expect_same(before, fresh_run(moons_x(DType::f64, 500), moons_y(DType::f64, 500), theta));

  for (int64_t rows : {50, 731, 1}) {
    SCOPED_TRACE(rows);
    net.g.set_data(net.x, other_x(DType::f64, rows));
    net.g.set_data(net.y, other_y(DType::f64, rows));
    EXPECT_EQ(net.x.shape(), (Shape{rows, 2}));
    EXPECT_EQ(net.p.shape(), (Shape{rows}));
    RunResult after = run_program(prog, theta, {0.0, 1.0});
    EXPECT_EQ(prog.output_shape(0), (Shape{rows}));
    EXPECT_EQ(prog.output(0).shape(), (Shape{S, rows}));
    expect_same(after, fresh_run(other_x(DType::f64, rows), other_y(DType::f64, rows), theta));
  }
}

TEST(graph, set_data_reaches_a_program_compiled_before_it) {
  auto net = tutorial_network(DType::f32, 20);
  Program prog(net.g, {net.loglik});
  auto theta = normal_params(1, prog.flat_size());
  RunResult a = run_program(prog, theta, {1.0});
  // Same shape, new values: only the data version tells the program.
  net.g.set_data(net.y, other_y(DType::f64, 20));  // converted to float32
  RunResult b = run_program(prog, theta, {1.0});
  EXPECT_NE(a.outputs[0][0], b.outputs[0][0]);
  auto fresh = tutorial_network(moons_x(DType::f32, 20), other_y(DType::f32, 20));
  Program fp(fresh.g, {fresh.loglik});
  EXPECT_EQ(run_program(fp, theta, {1.0}).outputs[0], b.outputs[0]);
}

TEST(program, set_data_with_a_different_row_count_matches_a_fresh_graph_and_leaves_the_graph_alone) {
  auto net = tutorial_network(DType::f64, 500);
  Program prog(net.g, {net.p, net.loglik});
  prog.set_samples(S);
  auto theta = normal_params(S, prog.flat_size());
  for (int64_t rows : {50, 500, 7}) {
    SCOPED_TRACE(rows);
    prog.set_data(net.x, other_x(DType::f64, rows));
    prog.set_data(net.y, other_y(DType::f64, rows));
    RunResult r = run_program(prog, theta, {0.0, 1.0});
    EXPECT_EQ(prog.output(0).shape(), (Shape{S, rows}));
    expect_same(r, fresh_run(other_x(DType::f64, rows), other_y(DType::f64, rows), theta));
    EXPECT_EQ(net.x.shape(), (Shape{500, 2}));  // the graph keeps its own value
  }
  // Another program on the same graph still sees the graph's data.
  Program other(net.g, {net.p, net.loglik});
  other.set_samples(S);
  expect_same(run_program(other, theta, {0.0, 1.0}),
              fresh_run(moons_x(DType::f64, 500), moons_y(DType::f64, 500), theta));
}

TEST(program, set_data_rows_matches_a_fresh_graph_on_the_gathered_rows) {
  for (DType dtype : {DType::f64, DType::f32}) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    const int64_t total = 500;
    Tensor X = other_x(dtype, total), Y = other_y(dtype, total);
    auto net = tutorial_network(dtype, total);
    Program prog(net.g, {net.p, net.loglik});
    prog.set_samples(S);
    auto theta = normal_params(S, prog.flat_size());
    for (int batch = 0; batch < 4; ++batch) {
      SCOPED_TRACE(batch);
      std::vector<int64_t> rows(batch == 3 ? 13 : 50);  // the last batch has a new row count
      for (size_t k = 0; k < rows.size(); ++k) rows[k] = static_cast<int64_t>((k * 37 + batch * 101) % total);
      prog.set_data_rows(net.x, X, rows);
      prog.set_data_rows(net.y, Y, rows);
      RunResult r = run_program(prog, theta, {0.0, 1.0});
      auto fresh = tutorial_network(X.gather_rows(rows), Y.gather_rows(rows));
      Program fp(fresh.g, {fresh.p, fresh.loglik});
      fp.set_samples(S);
      RunResult f = run_program(fp, theta, {0.0, 1.0});
      if (dtype == DType::f64) {
        expect_same(r, f);
      } else {
        for (size_t o = 0; o < 2; ++o)
          for (size_t i = 0; i < f.outputs[o].size(); ++i)
            ASSERT_NEAR(r.outputs[o][i], f.outputs[o][i], 1e-5 * std::max(1.0, std::abs(f.outputs[o][i])));
        for (size_t i = 0; i < f.grad.size(); ++i)
          ASSERT_NEAR(r.grad[i], f.grad[i], 1e-5 * std::max(1.0, std::abs(f.grad[i])));
      }
    }
  }
}

TEST(program, output_shape_reports_a_new_row_count_before_the_next_run) {
  // The model layer reads the batch size off a data output to scale by total_size.
  auto net = tutorial_network(DType::f64, 500);
  Program prog(net.g, {net.p, net.loglik, net.y});
  Tensor X = other_x(DType::f64, 500), Y = other_y(DType::f64, 500);
  std::vector<int64_t> rows(50);
  std::iota(rows.begin(), rows.end(), 100);
  prog.set_data_rows(net.x, X, rows);
  EXPECT_EQ(prog.output_shape(2), (Shape{500}));  // y not replaced yet
  prog.set_data_rows(net.y, Y, rows);
  EXPECT_EQ(prog.output_shape(0), (Shape{50}));
  EXPECT_EQ(prog.output_shape(2), (Shape{50}));
  prog.set_data(net.x, other_x(DType::f64, 7));
  prog.set_data(net.y, other_y(DType::f64, 7));
  EXPECT_EQ(prog.output_shape(2), (Shape{7}));
  EXPECT_THROW(prog.output(2), InvalidArgument);  // sizes changed since the last run
  std::vector<double> theta(static_cast<size_t>(prog.flat_size()), 0.1);
  prog.set_flat_params(theta.data());
  prog.forward();
  EXPECT_EQ(prog.output_shape(0), (Shape{7}));
  EXPECT_EQ(prog.output(2).to_vector(), other_y(DType::f64, 7).to_vector());
}

TEST(program, set_data_rows_recomputes_nodes_that_depend_on_data_only) {
  Graph g(DType::f64);
  Tensor X(DType::f64, {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Expr x = g.data("x", X);
  Expr w = g.parameter("w", {2});
  Expr xs = tanh(x) * 2.0;  // data only: computed once per data change
  Program prog(g, {sum(matmul(xs, w)), sum(x)});
  double theta[2] = {1.0, -1.0};
  prog.set_flat_params(theta);
  std::vector<int64_t> a = {0, 1}, b = {2, 3};
  prog.set_data_rows(x, X, a);
  prog.forward();
  EXPECT_DOUBLE_EQ(prog.output(1)[0], 1 + 2 + 3 + 4);
  prog.set_data_rows(x, X, b);
  prog.forward();
  EXPECT_DOUBLE_EQ(prog.output(1)[0], 5 + 6 + 7 + 8);
  double ref = 0;
  for (int r : {2, 3}) ref += 2 * std::tanh(X[2 * r]) - 2 * std::tanh(X[2 * r + 1]);
  EXPECT_NEAR(prog.output(0)[0], ref, 1e-14);
}

TEST(program, set_data_rows_out_of_range_changes_nothing) {
  Graph g(DType::f64);
  Tensor X(DType::f64, {3, 1}, {1, 2, 3});
  Expr x = g.data("x", X);
  Program prog(g, {sum(x)});
  std::vector<int64_t> ok = {0, 2}, bad = {1, 2, 3, 0};
  prog.set_data_rows(x, X, ok);
  try {
    prog.set_data_rows(x, X, bad);
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "Program::set_data_rows('x'): row 3 at position 2 is out of range for 3 rows");
  }
  prog.forward();
  EXPECT_EQ(prog.output(0)[0], 4.0);
  EXPECT_EQ(prog.output_shape(0), (Shape{}));
}

TEST(graph, set_data_rejects_a_change_of_a_non_row_dimension) {
  auto net = tutorial_network(DType::f64, 500);
  try {
    net.g.set_data(net.x, Tensor(DType::f64, {500, 3}));
    FAIL() << "no exception";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(),
                 "Graph::set_data('x'): new shape [500,3] differs from [500,2] in more than the number of rows");
  }
  EXPECT_THROW(net.g.set_data(net.x, Tensor(DType::f64, {1000})), ShapeError);
  EXPECT_EQ(net.x.shape(), (Shape{500, 2}));
}

TEST(graph, inputs_used_together_can_change_their_row_count_one_after_the_other) {
  Graph g(DType::f64);
  Expr a = g.data("a", Tensor(DType::f64, {4, 2}));
  Expr b = g.data("b", Tensor(DType::f64, {4, 2}));
  Expr c = a + b;
  Expr only_a = sum(a);
  g.set_data(a, Tensor(DType::f64, {5, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));  // b still has 4 rows
  EXPECT_EQ(g.data_version(), 1u);
  EXPECT_EQ(a.shape(), (Shape{5, 2}));
  EXPECT_EQ(c.shape(), (Shape{4, 2}));  // keeps its last shape until its operands fit
  // A program that needs c reports the op's error; one that does not runs.
  try {
    Program p(g, {c});
    p.forward();
    FAIL() << "no exception";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "add: shapes [5,2] and [4,2] do not broadcast (5 vs 4 at axis 0)");
  }
  Program pa(g, {only_a});
  pa.forward();
  EXPECT_EQ(pa.output(0)[0], 55.0);
  // Once b follows, everything fits again, including a program compiled in between.
  Program pc(g, {only_a});
  g.set_data(b, Tensor(DType::f64, {5, 2}));
  EXPECT_EQ(c.shape(), (Shape{5, 2}));
  Program p(g, {c});
  p.forward();
  EXPECT_EQ(p.output(0).to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  pc.forward();
  EXPECT_EQ(pc.output(0)[0], 55.0);
}

TEST(program, inputs_used_together_can_change_their_row_count_one_after_the_other) {
  // Minibatches: x and y are gathered one after the other, with parameters set between.
  Graph g(DType::f64);
  Tensor X(DType::f64, {4, 1}, {1, 2, 3, 4}), Y(DType::f64, {4}, {10, 20, 30, 40});
  Expr x = g.data("x", X), y = g.data("y", Y);
  Expr w = g.parameter("w", {1});
  Expr loss = sum(matmul(x, w) * y);
  Program prog(g, {loss});
  std::vector<int64_t> rows = {3, 1};
  double theta = 2.0;
  prog.set_data_rows(x, X, rows);
  prog.set_flat_params(&theta);
  EXPECT_THROW(prog.forward(), ShapeError);  // x has 2 rows, y still 4
  prog.set_data_rows(y, Y, rows);
  prog.forward_backward(std::vector<double>{1.0});
  EXPECT_EQ(prog.output(0)[0], 2.0 * (4 * 40 + 2 * 20));
  EXPECT_EQ(prog.gradient(w)[0], 4 * 40 + 2 * 20);
}

TEST(program, set_data_rejects_a_change_of_a_non_row_dimension) {
  auto net = tutorial_network(DType::f64, 500);
  Program prog(net.g, {net.loglik});
  try {
    prog.set_data(net.x, Tensor(DType::f64, {50, 3}));
    FAIL() << "no exception";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(),
                 "Program::set_data('x'): new shape [50,3] differs from [500,2] in more than the number of rows");
  }
  std::vector<int64_t> rows = {0, 1};
  try {
    prog.set_data_rows(net.x, Tensor(DType::f64, {10, 2, 1}), rows);
    FAIL() << "no exception";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Program::set_data_rows('x'): source shape [10,2,1] differs from [500,2] in more "
                           "than the number of rows");
  }
  try {
    prog.set_data_rows(net.x, Tensor(DType::f32, {10, 2}), rows);
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "Program::set_data_rows('x'): the source is float32 but the program computes in float64");
  }
  try {
    prog.set_data(net.w1, Tensor(DType::f64, {2, 5}));
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "Program::set_data: 'w_in_1' is not a data input");
  }
}

}  // namespace
}  // namespace elbo
