// LogpProgram::split_rows: log p of one draw over blocks of rows on the threads. The blocks
// follow from the row count, so every thread count gives the same bits; the sum over the
// blocks is the one-run log p and gradient up to rounding; errors name what is wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <elbo/elbo.hpp>

namespace elbo {
namespace {

// A network on N rows of 6 features and 3 classes (categorical, biases), float32 or
// float64: the model every `elbo fit` of a full batch splits.
struct Net {
  Model model;
  Mlp mlp;
  explicit Net(int64_t rows, DType dtype = DType::f32) : model(dtype) {
    Tensor x = Philox(3).normal(dtype, {rows, 6}, 0, 0), y(dtype, {rows});
    for (int64_t i = 0; i < rows; ++i) y.set(i, static_cast<double>((i * 7) % 3));
    mlp = build_mlp(model, model.data("x", x), model.data("y", y), {.hidden = {8, 8}, .bias = true, .init_seed = 1},
                    *make_likelihood("categorical", {{"classes", 3.0}}));
  }
  std::vector<Expr> rows() const { return {model["x"], model["y"]}; }
};

template <class T>
std::vector<T> point(const Model& m, uint64_t seed) {
  std::vector<double> z(static_cast<size_t>(m.flat_size()));
  Philox(seed).normal(z.data(), m.flat_size(), 0, 0);
  return std::vector<T>(z.begin(), z.end());
}

TEST(split_rows, blocks_follow_from_the_row_count_alone) {
  EXPECT_EQ(LogpProgram::row_blocks(0), 1);
  EXPECT_EQ(LogpProgram::row_blocks(1023), 1);
  EXPECT_EQ(LogpProgram::row_blocks(1024), 2);
  EXPECT_EQ(LogpProgram::row_blocks(2047), 2);
  EXPECT_EQ(LogpProgram::row_blocks(2048), 4);
  EXPECT_EQ(LogpProgram::row_blocks(8192), 8);
  EXPECT_EQ(LogpProgram::row_blocks(int64_t{1} << 30), 8);
}

// The split's log p and gradient against one run over all rows: the same sums in another
// order, so equal to float32 rounding over ~2,000 terms (relative 1e-4 of the values'
// scale; the gradients' largest entries are O(100)).
TEST(split_rows, sums_the_blocks_to_the_one_run_log_p_and_gradient) {
  for (DType dtype : {DType::f32, DType::f64}) {
    Net net(2100, dtype);
    LogpProgram whole(net.model), split(net.model, ProgramOptions{2});
    split.split_rows(net.rows());
    const int64_t D = net.model.flat_size();
    auto check = [&]<class T>(T) {
      std::vector<T> z = point<T>(net.model, 5), g1(static_cast<size_t>(D)), g2(static_cast<size_t>(D));
      whole.run(z.data(), g1.data(), 0.7);
      split.run(z.data(), g2.data(), 0.7);
      EXPECT_EQ(whole.blocks(), 1);
      EXPECT_EQ(split.blocks(), 4);
      const double tol = dtype == DType::f32 ? 1e-4 : 1e-10;
      EXPECT_NEAR(split.datalogp(0), whole.datalogp(0), tol * std::abs(whole.datalogp(0)));
      EXPECT_DOUBLE_EQ(split.varlogp(0), whole.varlogp(0));  // the same program on the parameters
      double scale = 0;
      for (T v : g1) scale = std::max(scale, std::abs(static_cast<double>(v)));
      ASSERT_GT(scale, 1.0);
      for (int64_t i = 0; i < D; ++i) EXPECT_NEAR(g2[i], g1[i], tol * scale) << "parameter " << i;
      // Without a gradient: the values alone.
      split.run<T>(z.data(), nullptr);
      EXPECT_NEAR(split.datalogp(0), whole.datalogp(0), tol * std::abs(whole.datalogp(0)));
    };
    if (dtype == DType::f32)
      check(float{});
    else
      check(double{});
  }
}

TEST(split_rows, gives_the_same_bits_for_every_thread_count) {
  Net net(1500);
  const int64_t D = net.model.flat_size();
  std::vector<float> z = point<float>(net.model, 9), first;
  double first_logp = 0;
  for (int threads : {1, 2, 3}) {
    LogpProgram logp(net.model, ProgramOptions{threads});
    logp.split_rows(net.rows());
    std::vector<float> g(static_cast<size_t>(D));
    logp.run(z.data(), g.data(), 1.0);
    ASSERT_EQ(logp.blocks(), 2);
    if (threads == 1) {
      first = g;
      first_logp = logp.datalogp(0);
      continue;
    }
    EXPECT_EQ(logp.datalogp(0), first_logp) << threads << " threads";
    for (int64_t i = 0; i < D; ++i) ASSERT_EQ(g[i], first[i]) << threads << " threads, parameter " << i;
  }
}

TEST(split_rows, cuts_the_blocks_again_when_the_data_changes) {
  Net net(1100);
  LogpProgram whole(net.model), split(net.model, ProgramOptions{2});
  split.split_rows(net.rows());
  std::vector<float> z = point<float>(net.model, 2);
  split.run<float>(z.data(), nullptr);
  EXPECT_EQ(split.blocks(), 2);
  // 3000 rows: four blocks, the new rows' log p.
  Tensor x = Philox(8).normal(DType::f32, {3000, 6}, 0, 0), y(DType::f32, {3000});
  for (int64_t i = 0; i < 3000; ++i) y.set(i, static_cast<double>(i % 3));
  net.model.set_data("x", x);
  net.model.set_data("y", y);
  split.run<float>(z.data(), nullptr);
  whole.run<float>(z.data(), nullptr);
  EXPECT_EQ(split.blocks(), 4);
  EXPECT_NEAR(split.datalogp(0), whole.datalogp(0), 1e-4 * std::abs(whole.datalogp(0)));
  // New values at the same shape: the blocks take them too.
  const double before = split.datalogp(0);
  Tensor x2 = Philox(9).normal(DType::f32, {3000, 6}, 0, 0);
  net.model.set_data("x", x2);
  split.run<float>(z.data(), nullptr);
  whole.run<float>(z.data(), nullptr);
  EXPECT_NE(split.datalogp(0), before);
  EXPECT_NEAR(split.datalogp(0), whole.datalogp(0), 1e-4 * std::abs(whole.datalogp(0)));
  // 100 rows: too few to split, one run.
  net.model.set_data("x", x2.rows(0, 100));
  net.model.set_data("y", y.rows(0, 100));
  split.run<float>(z.data(), nullptr);
  whole.run<float>(z.data(), nullptr);
  EXPECT_EQ(split.blocks(), 1);
  EXPECT_EQ(split.datalogp(0), whole.datalogp(0));
}

TEST(split_rows, refuses_what_is_not_row_data) {
  Net net(1100);
  LogpProgram logp(net.model);
  auto message = [&](const std::vector<Expr>& rows) {
    try {
      logp.split_rows(rows);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // y is observed, so it must be among the rows.
  EXPECT_NE(message({net.model["x"]}).find("observed variable"), std::string::npos) << message({net.model["x"]});
  // A free variable is no data container.
  EXPECT_NE(message({net.model["x"], net.model["y"], net.model["w_in_1"]}).find("not a data container"),
            std::string::npos);
  // total_size would scale each block up.
  Model m(DType::f32);
  Tensor x = Philox(1).normal(DType::f32, {1100, 2}, 0, 0), y = Philox(2).normal(DType::f32, {1100}, 0, 0);
  Expr xd = m.data("x", x), yd = m.data("y", y);
  Expr w = m.normal("w", 0.0, 1.0, {2});
  m.normal_likelihood("obs", matmul(xd, w), 1.0, yd, {.total_size = 5000});
  LogpProgram scaled(m);
  try {
    scaled.split_rows({xd, yd});
    ADD_FAILURE() << "total_size accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("total_size"), std::string::npos) << e.what();
  }
}

TEST(split_rows, refuses_a_model_that_draws_minibatches) {
  Model m(DType::f32);
  Tensor x = Philox(1).normal(DType::f32, {1100, 2}, 0, 0), y = Philox(2).normal(DType::f32, {1100}, 0, 0);
  auto b = m.minibatch({"x", "y"}, {x, y}, {.batch_size = 1100, .seed = 1});
  Expr w = m.normal("w", 0.0, 1.0, {2});
  m.normal_likelihood("obs", matmul(b[0], w), 1.0, b[1]);
  LogpProgram logp(m);
  try {
    logp.split_rows({b[0], b[1]});
    ADD_FAILURE() << "minibatch model accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("minibatches"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace elbo
