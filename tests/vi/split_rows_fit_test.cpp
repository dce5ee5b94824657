// InferenceOptions::row_data: a fit whose one-draw steps run log p in blocks of rows on the
// threads (LogpProgram::split_rows) gives the same approximation, bit for bit, for every
// thread count, on the fused mean-field path and the general one, and follows the plain
// fit closely.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <elbo/elbo.hpp>

namespace elbo {
namespace {

struct Net {
  Model model{DType::f32};
  explicit Net(int64_t rows) {
    Tensor x = Philox(3).normal(DType::f32, {rows, 6}, 0, 0), y(DType::f32, {rows});
    for (int64_t i = 0; i < rows; ++i) y.set(i, static_cast<double>((i * 7 + i / 5) % 3));
    build_mlp(model, model.data("x", x), model.data("y", y), {.hidden = {8, 8}, .bias = true, .init_seed = 1},
              *make_likelihood("categorical", {{"classes", 3.0}}));
  }
};

std::vector<double> fit(const Net& net, const std::string& method, int threads, bool split, int64_t steps = 30) {
  InferenceOptions io;
  io.seed = 4;
  io.threads = threads;
  io.optimizer.name = "adam";
  io.optimizer.learning_rate = 0.01;
  if (split) io.row_data = {"x", "y"};
  auto inference = make_inference(net.model, method, io);
  inference->fit(steps, {.progressbar = false});
  auto p = inference->approximation().params();
  return {p.begin(), p.end()};
}

TEST(split_rows_fit, every_thread_count_gives_the_same_bits) {
  Net net(1300);  // two blocks
  for (const std::string method : {"advi", "fullrank_advi"}) {  // the fused step and the general one
    const std::vector<double> one = fit(net, method, 1, true);
    for (int threads : {2, 3}) {
      const std::vector<double> many = fit(net, method, threads, true);
      ASSERT_EQ(many.size(), one.size());
      for (size_t i = 0; i < one.size(); ++i) ASSERT_EQ(many[i], one[i]) << method << ", " << threads << " threads, " << i;
    }
  }
}

// The same sums in another order each step: after 30 Adam steps at rate 0.01 the means
// differ by float32 rounding carried through the updates, far below the 0.3 they move.
TEST(split_rows_fit, follows_the_fit_over_all_rows) {
  Net net(1300);
  const std::vector<double> start = fit(net, "advi", 1, false, 0), plain = fit(net, "advi", 1, false),
                            split = fit(net, "advi", 2, true);
  double moved = 0, apart = 0;
  for (size_t i = 0; i < plain.size() / 2; ++i) {  // the means
    moved = std::max(moved, std::abs(plain[i] - start[i]));
    apart = std::max(apart, std::abs(split[i] - plain[i]));
  }
  EXPECT_GT(moved, 0.1);
  EXPECT_LT(apart, 1e-3) << "moved " << moved;
  EXPECT_GT(apart, 0.0) << "the same bits as one run over all rows: the blocks did not run";
}

TEST(split_rows_fit, names_a_bad_container) {
  Net net(1300);
  InferenceOptions io;
  io.row_data = {"x", "nope"};
  try {
    make_inference(net.model, "advi", io);
    ADD_FAILURE() << "accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace elbo
