// The fused mean-field Adam step (src/vi/mean_field_adam_step.hpp) against the general
// path, bitwise. Adam with a gradient-norm constraint no gradient reaches (1e300) takes the
// general path with the same arithmetic (clip_total_norm leaves the gradient alone), so a
// fit with it is the reference for the same fit without it, which takes the fused path.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/model/stream_source.hpp"
#include "elbo/vi/inference.hpp"
#include "elbo/vi/mean_field.hpp"
#include "elbo/vi/schedule.hpp"

namespace elbo {
namespace {

struct Fitted {
  std::vector<double> hist, params, optimizer;
  std::string error;
};

// A float32 regression on `n` weights (n rows, one weight per row): large n crosses
// MeanField::kTermsChunk and n % 64 != 0 leaves a tail for the double terms.
// Extras: minibatch adds a second likelihood on minibatches of y; generator_calls, when
// given, a likelihood on batches from a GeneratorSource that counts its calls and gives a
// NaN at step 3; y7 replaces y[7].
struct Extras {
  bool minibatch = false;
  int64_t* generator_calls = nullptr;
  double y7 = NAN;
};

Fitted fit_regression(int64_t n, bool general, int threads, FitOptions fo, double start_rho = NAN,
                      Extras extras = {}, double lr = 0.01, int64_t steps = 12) {
  Model m(DType::f32);
  Expr w = m.normal("w", 0.0, 1.0, {n});
  Tensor y = Philox(3).normal(DType::f64, {n}, 0, 0);
  if (!std::isnan(extras.y7)) y.set(7, extras.y7);
  if (extras.minibatch) {
    Expr v = m.normal("v", 0.0, 1.0);
    auto in = m.minibatch({"y_batch"}, {y}, {.batch_size = 16, .seed = 5});
    m.normal_likelihood("y_mb", v, 1.0, in[0], {.total_size = static_cast<double>(n)});
  }
  if (extras.generator_calls) {
    Expr yb = m.data("y_gen", y.rows(0, 8));
    int64_t* calls = extras.generator_calls;
    m.add_batch_source(std::make_shared<GeneratorSource>(
        std::vector<Expr>{yb},
        [y, calls](uint64_t step) {
          ++*calls;
          Tensor b = y.rows(static_cast<int64_t>(step % 4) * 8, static_cast<int64_t>(step % 4) * 8 + 8);
          if (step == 3) b.set(2, NAN);
          return std::vector<Tensor>{b};
        },
        n));
    Expr u = m.normal("u", 0.0, 1.0);
    m.normal_likelihood("y_g", u, 1.0, yb, {.total_size = static_cast<double>(n)});
  }
  m.normal_likelihood("y", w, 1.0, m.data("y_obs", y));
  OptimizerOptions opt{.name = "adam", .learning_rate = lr};
  if (general) opt.total_grad_norm_constraint = 1e300;
  ADVI advi(m, {.seed = 4, .optimizer = opt, .threads = threads, .start_sigma = 0.05});
  if (!std::isnan(start_rho))
    for (int64_t i : {int64_t{5}, n - 1}) advi.approximation().params()[advi.approximation().dim() + i] = start_rho;
  Fitted out;
  fo.progressbar = false;
  try {
    advi.fit(steps, fo);
  } catch (const NumericalError& e) {
    out.error = e.what();
  }
  out.hist = advi.hist();
  auto p = advi.approximation().params();
  out.params.assign(p.begin(), p.end());
  out.optimizer = advi.optimizer().state();
  return out;
}

// Whether two arrays hold the same bits (an empty one has no data to compare: memcmp's
// pointers must not be null).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

void expect_same_bits(const Fitted& a, const Fitted& b, const std::string& what) {
  ASSERT_EQ(a.hist.size(), b.hist.size()) << what;
  EXPECT_TRUE(same_bits(a.hist, b.hist)) << what;
  EXPECT_TRUE(same_bits(a.params, b.params)) << what;
  // The optimizer's state ends with the norm constraint's window slot, the same for both.
  EXPECT_TRUE(same_bits(a.optimizer, b.optimizer)) << what;
  EXPECT_EQ(a.error, b.error) << what;
}

TEST(mean_field_adam_step, gives_the_general_paths_bits_for_any_size_and_thread_count) {
  // 13: below one block of 64 (all tail); 3000: three chunks of MeanField::kTermsChunk, a
  // tail of 56, above the size from which the fused update splits over the threads (2^11);
  // 40001: 40 chunks and a tail of 1; 70000: 69 chunks, a tail of 48.
  for (int64_t n : {int64_t{13}, int64_t{3000}, int64_t{40001}, int64_t{70000}})
    for (double scale : {1.0, 0.3})
      for (double beta : {1.0, 0.5}) {
        FitOptions fo{.cost_part_grad_scale = scale, .beta = beta};
        const Fitted reference = fit_regression(n, true, 1, fo);
        for (int threads : {1, 2, 3})
          expect_same_bits(reference, fit_regression(n, false, threads, fo),
                           "n " + std::to_string(n) + " scale " + std::to_string(scale) + " beta " +
                               std::to_string(beta) + " threads " + std::to_string(threads));
      }
}

TEST(mean_field_adam_step, gives_the_general_paths_bits_with_a_schedule_and_minibatches) {
  FitOptions fo{.schedule = std::make_shared<ExponentialDecay>(0.5, 4)};
  expect_same_bits(fit_regression(40001, true, 1, fo, NAN, {.minibatch = true}),
                   fit_regression(40001, false, 2, fo, NAN, {.minibatch = true}), "exponential decay, minibatch");
}

TEST(mean_field_adam_step, leaves_steps_outside_its_range_to_the_general_path_with_the_same_bits) {
  // rho = 100 and rho = -100 (at index 5 in a block and at the tail's last index) are beyond
  // the float terms' range: draw() hands those steps to the general path.
  for (double rho : {100.0, -100.0})
    for (int64_t n : {int64_t{200}, int64_t{40001}})
      expect_same_bits(fit_regression(n, true, 1, {}, rho), fit_regression(n, false, 2, {}, rho),
                       "rho " + std::to_string(rho) + " n " + std::to_string(n));
}

TEST(mean_field_adam_step, a_nonfinite_loss_goes_to_the_general_path_without_a_second_batch) {
  // Step 3's batch holds a NaN: the fused step finds the loss not finite after the program
  // ran and hands the step over; the general path must not ask the generator again.
  int64_t general_calls = 0, fused_calls = 0;
  FitOptions skip{.skip_nonfinite = true};
  const Fitted general = fit_regression(40001, true, 1, skip, NAN, {.generator_calls = &general_calls});
  const Fitted fused = fit_regression(40001, false, 2, skip, NAN, {.generator_calls = &fused_calls});
  expect_same_bits(general, fused, "a NaN in step 3's batch, skipped");
  EXPECT_FALSE(std::isfinite(fused.hist[3]));
  EXPECT_EQ(general_calls, 12);
  EXPECT_EQ(fused_calls, 12);
  general_calls = fused_calls = 0;
  const Fitted general_error = fit_regression(40001, true, 1, {}, NAN, {.generator_calls = &general_calls});
  const Fitted fused_error = fit_regression(40001, false, 2, {}, NAN, {.generator_calls = &fused_calls});
  ASSERT_NE(fused_error.error.find("at step 4"), std::string::npos) << fused_error.error;
  expect_same_bits(general_error, fused_error, "a NaN in step 3's batch");
  EXPECT_EQ(fused_calls, 4);
}

TEST(mean_field_adam_step, a_diverging_update_is_reported_and_undone_as_on_the_general_path) {
  // A learning rate of 1e308 and y[7] = 1e4: Adam's m * a overflows at w[7] on the first
  // step, so mu[7] becomes infinite. Both paths name it and keep the parameters from before
  // the step (Adam's moments keep the update, on both).
  const Fitted general = fit_regression(40001, true, 2, {}, NAN, {.y7 = 1e4}, 1e308, 3);
  const Fitted fused = fit_regression(40001, false, 2, {}, NAN, {.y7 = 1e4}, 1e308, 3);
  ASSERT_NE(general.error.find("mu[7] of `w`.ravel()[7] became"), std::string::npos) << general.error;
  expect_same_bits(general, fused, "lr 1e308");
  FitOptions skip{.skip_nonfinite = true};
  expect_same_bits(fit_regression(40001, true, 2, skip, NAN, {.y7 = 1e4}, 1e308, 3),
                   fit_regression(40001, false, 2, skip, NAN, {.y7 = 1e4}, 1e308, 3), "lr 1e308, skipped");
}

}  // namespace
}  // namespace elbo
