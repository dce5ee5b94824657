// No heap allocation per optimisation step, nor per predictor call at a size already seen
// (docs/ARCHITECTURE.md, "Engine"; the performance issue's "No heap allocation per step"). A fit call
// has a fixed cost (its progress bar, the history's reserve), so the test compares the
// allocations of fit(20) and fit(2000): equal counts mean no step allocated.
#include <gtest/gtest.h>

#include "elbo/data.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/model.hpp"
#include "elbo/predict.hpp"
#include "elbo/vi.hpp"
#include "support/counting_allocator.hpp"

namespace elbo {
namespace {

using testing::count_allocations;

#define SKIP_UNLESS_COUNTING()                                                                   \
  do {                                                                                           \
    if (!ELBO_COUNT_ALLOCATIONS)                                                                 \
      GTEST_SKIP() << "AddressSanitizer replaces the allocator; allocations are not counted"; \
  } while (0)

struct Tutorial {
  Model m{DType::f32};
  Expr x, y;
  Mlp net;
  data::Dataset train;
  explicit Tutorial(int64_t batch) {
    auto moons = data::make_moons({.n_samples = 1000, .noise = 0.2, .seed = 0, .dtype = DType::f32});
    train = data::train_test_split(data::standardize(moons), {.test_size = 0.5}).first;
    if (batch > 0) {
      auto in = m.minibatch({"x", "y"}, {train.x, train.y}, {.batch_size = batch});
      x = in[0], y = in[1];
    } else {
      x = m.data("x", train.x), y = m.data("y", train.y);
    }
    net = build_mlp(m, x, y, {.total_size = static_cast<double>(train.rows()), .init_seed = 1});
  }
};

TEST(step_alloc, advi_steps_allocate_nothing_full_batch_and_minibatch) {
  SKIP_UNLESS_COUNTING();
  for (int64_t batch : {int64_t{0}, int64_t{50}}) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE("batch " + std::to_string(batch) + ", threads " + std::to_string(threads));
      Tutorial t(batch);
      ADVI advi(t.m, {.seed = 1, .threads = threads});
      FitOptions quiet{.obj_n_mc = 3, .progressbar = false};
      advi.fit(5, quiet);  // sizes every buffer
      auto few = count_allocations([&] { advi.fit(20, quiet); });
      auto many = count_allocations([&] { advi.fit(2000, quiet); });
      EXPECT_EQ(few.news, many.news) << "operator new calls grow with the step count";
      EXPECT_EQ(few.mallocs, many.mallocs) << "malloc calls grow with the step count";
    }
  }
}

TEST(step_alloc, steps_split_by_rows_allocate_nothing) {
  // A full batch of 1,100 rows in two blocks (InferenceOptions::row_data), the fused step
  // (Adam) and the general one (adagrad_window), one and two threads.
  SKIP_UNLESS_COUNTING();
  Model m(DType::f32);
  Tensor x = Philox(3).normal(DType::f32, {1100, 2}, 0, 0), y(DType::f32, {1100});
  for (int64_t i = 0; i < 1100; ++i) y.set(i, static_cast<double>(i % 2));
  build_mlp(m, m.data("x", x), m.data("y", y), {.init_seed = 1});
  for (const std::string optimizer : {"adam", "adagrad_window"})
    for (int threads : {1, 2}) {
      SCOPED_TRACE(optimizer + ", threads " + std::to_string(threads));
      InferenceOptions io{.seed = 1, .optimizer = {.name = optimizer, .learning_rate = 0.01}, .threads = threads};
      io.row_data = {"x", "y"};
      ADVI advi(m, io);
      FitOptions quiet{.progressbar = false};
      advi.fit(5, quiet);  // cuts the blocks and sizes every buffer
      auto few = count_allocations([&] { advi.fit(20, quiet); });
      auto many = count_allocations([&] { advi.fit(400, quiet); });
      EXPECT_EQ(few.news, many.news) << "operator new calls grow with the step count";
      EXPECT_EQ(few.mallocs, many.mallocs) << "malloc calls grow with the step count";
    }
}

TEST(step_alloc, fused_mean_field_adam_steps_allocate_nothing) {
  // One draw per step with Adam on a float32 model: the fused step
  // (src/vi/mean_field_adam_step.hpp), on the tutorial's network and on 40,001 weights
  // (two chunks of its per-parameter sums, split over two threads).
  SKIP_UNLESS_COUNTING();
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    Tutorial t(50);
    Model wide(DType::f32);
    const int64_t n = 40001;
    Expr w = wide.normal("w", 0.0, 1.0, {n});
    wide.normal_likelihood("y", w, 1.0, wide.data("y_obs", Tensor(DType::f64, {n})));
    for (Model* m : {&t.m, &wide}) {
      ADVI advi(*m, {.seed = 1, .optimizer = {.name = "adam", .learning_rate = 0.01}, .threads = threads});
      FitOptions quiet{.progressbar = false};
      advi.fit(5, quiet);  // sizes every buffer and the fused step's
      auto few = count_allocations([&] { advi.fit(20, quiet); });
      auto many = count_allocations([&] { advi.fit(400, quiet); });
      EXPECT_EQ(few.news, many.news) << "operator new calls grow with the step count";
      EXPECT_EQ(few.mallocs, many.mallocs) << "malloc calls grow with the step count";
    }
  }
}

// Known limit: switching between sizes re-runs shape inference, which allocates its Shape
// vectors (a few dozen small allocations per switch); calls that repeat the last size
// allocate nothing.
TEST(step_alloc, predictor_calls_at_the_same_size_allocate_nothing) {
  SKIP_UNLESS_COUNTING();
  Tutorial t(0);
  ADVI advi(t.m, {.seed = 1});
  Predictor pred = Posterior(advi).predictor(t.net.output, {t.x});
  Tensor a = t.train.x.rows(0, 300), b = t.train.x.rows(0, 120);
  const Tensor* da[1] = {&a};
  const Tensor* db[1] = {&b};
  pred.run(da, 500);
  auto c = count_allocations([&] {
    for (int i = 0; i < 5; ++i) {
      pred.run(da, 500);
      (void)pred.values<float>();
    }
  });
  EXPECT_EQ(c.news, 0);
  EXPECT_EQ(c.mallocs, 0);
  pred.run(db, 200);  // a new size: allowed to allocate once
  auto d = count_allocations([&] {
    for (int i = 0; i < 5; ++i) pred.run(db, 200);
  });
  EXPECT_EQ(d.news, 0);
  EXPECT_EQ(d.mallocs, 0);
  EXPECT_EQ(pred.shape(), (Shape{120}));
}

}  // namespace
}  // namespace elbo
