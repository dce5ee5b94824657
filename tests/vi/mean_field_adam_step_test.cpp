// The fused mean-field Adam step of a float32 model (src/vi/mean_field_adam_step.hpp),
// whose state (mu, rho, Adam's moments) and arithmetic are single precision: the same bits
// for any thread count; within float's rounding of the general path, which keeps them in
// double; checkpoints that resume with the same bits; and the steps it hands to the general
// path. Adam with a gradient-norm constraint no gradient reaches (1e300) takes the general
// path with the same arithmetic (clip_total_norm leaves the gradient alone), so a fit with
// it is the double-state reference for the same fit without it, which takes the fused path.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <utility>
#include <memory>
#include <string>
#include <vector>

#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/model/stream_source.hpp"
#include "elbo/vi/inference.hpp"
#include "elbo/vi/mean_field.hpp"
#include "elbo/vi/schedule.hpp"
#include "vi/mean_field_adam_step.hpp"

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
  bool rho_at_tail_only = false;  // start_rho at index n - 1 alone (not at 5 as well)
};

Model regression_model(int64_t n, const Extras& extras) {
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
  return m;
}

std::unique_ptr<ADVI> make_advi(const Model& m, bool general, int threads, double lr = 0.01) {
  OptimizerOptions opt{.name = "adam", .learning_rate = lr};
  if (general) opt.total_grad_norm_constraint = 1e300;
  return std::make_unique<ADVI>(m, InferenceOptions{.seed = 4, .optimizer = opt, .threads = threads, .start_sigma = 0.05});
}

Fitted fitted(ADVI& advi, std::string error = {}) {
  Fitted out;
  out.error = std::move(error);
  out.hist = advi.hist();
  auto p = advi.approximation().params();
  out.params.assign(p.begin(), p.end());
  out.optimizer = advi.optimizer().state();
  return out;
}

Fitted fit_regression(int64_t n, bool general, int threads, FitOptions fo, double start_rho = NAN,
                      Extras extras = {}, double lr = 0.01, int64_t steps = 12) {
  const Model m = regression_model(n, extras);
  auto advi = make_advi(m, general, threads, lr);
  if (!std::isnan(start_rho))
    for (int64_t i : {extras.rho_at_tail_only ? n - 1 : int64_t{5}, n - 1})
      advi->approximation().params()[advi->approximation().dim() + i] = start_rho;
  fo.progressbar = false;
  try {
    advi->fit(steps, fo);
  } catch (const NumericalError& e) {
    return fitted(*advi, e.what());
  }
  return fitted(*advi);
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

// The largest |a - b| over the largest |a|, of two arrays of the same size.
double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(a[i]));
  }
  return diff / scale;
}

// The fused fit (float state) against the general one (double state): the losses and the
// parameters after the steps agree to kFloatTolerance relative to their largest value.
// Each step's new values differ by float rounding (relative 6e-8 of mu and rho, a few
// units of it through Adam's update); over twelve steps that measured at most 3.6e-7 on
// these fits (2026-12-07), so 1e-5 leaves a margin of 27. Twelve steps at rate 0.01 move a
// parameter by up to 0.12, 4 % of the largest (|rho| = 3): a gradient term wrong by more
// than a few parts in 10^4 of the step shows.
constexpr double kFloatTolerance = 1e-5;

void expect_within_float_rounding(const Fitted& general, const Fitted& fused, const std::string& what) {
  ASSERT_EQ(general.hist.size(), fused.hist.size()) << what;
  std::vector<double> g, f;  // the finite losses (a skipped step's is NaN on both)
  for (size_t i = 0; i < general.hist.size(); ++i) {
    EXPECT_EQ(std::isfinite(general.hist[i]), std::isfinite(fused.hist[i])) << what << ", step " << i;
    if (std::isfinite(general.hist[i]) && std::isfinite(fused.hist[i])) {
      g.push_back(general.hist[i]);
      f.push_back(fused.hist[i]);
    }
  }
  EXPECT_LT(relative_difference(g, f), kFloatTolerance) << what;
  EXPECT_LT(relative_difference(general.params, fused.params), kFloatTolerance) << what;
  EXPECT_EQ(general.error, fused.error) << what;
}

bool float_valued(const std::vector<double>& v) {
  for (double x : v)
    if (static_cast<double>(static_cast<float>(x)) != x) return false;
  return true;
}

TEST(mean_field_adam_step, keeps_a_float32_state_with_the_same_bits_for_any_thread_count) {
  // 13: below one block of 64 (all tail); 3000: three chunks of MeanField::kTermsChunk, a
  // tail of 56, above the size from which the fused update splits over the threads (2^11);
  // 40001: 40 chunks and a tail of 1; 70000: 69 chunks, a tail of 48.
  for (int64_t n : {int64_t{13}, int64_t{3000}, int64_t{40001}, int64_t{70000}})
    for (double scale : {1.0, 0.3})
      for (double beta : {1.0, 0.5}) {
        const std::string what =
            "n " + std::to_string(n) + " scale " + std::to_string(scale) + " beta " + std::to_string(beta);
        FitOptions fo{.cost_part_grad_scale = scale, .beta = beta};
        const Fitted one = fit_regression(n, false, 1, fo);
        // The state is single precision: mu, rho and Adam's moments are floats (widened).
        EXPECT_TRUE(float_valued(one.params)) << what;
        EXPECT_TRUE(float_valued({one.optimizer.begin() + 1, one.optimizer.end()})) << what;
        expect_within_float_rounding(fit_regression(n, true, 1, fo), one, what);
        for (int threads : {2, 3})
          expect_same_bits(one, fit_regression(n, false, threads, fo), what + " threads " + std::to_string(threads));
      }
}

TEST(mean_field_adam_step, agrees_with_the_general_path_with_a_schedule_and_minibatches) {
  FitOptions fo{.schedule = std::make_shared<ExponentialDecay>(0.5, 4)};
  const Fitted fused = fit_regression(40001, false, 2, fo, NAN, {.minibatch = true});
  expect_within_float_rounding(fit_regression(40001, true, 1, fo, NAN, {.minibatch = true}), fused,
                               "exponential decay, minibatch");
  expect_same_bits(fused, fit_regression(40001, false, 1, fo, NAN, {.minibatch = true}), "one thread and two");
}

TEST(mean_field_adam_step, resumes_from_a_saved_state_with_the_same_bits) {
  // Twelve steps at once against six, the state saved (widened to double) and loaded into a
  // new ADVI (rounded back), then six more: the same bits. And reading the state between
  // two fit calls of one ADVI changes nothing.
  const Model m = regression_model(40001, {});
  FitOptions fo{.progressbar = false};
  auto straight = make_advi(m, false, 2);
  straight->fit(12, fo);
  auto first = make_advi(m, false, 2);
  first->fit(6, fo);
  const Inference::State saved = first->state();
  first->fit(6, fo);
  auto resumed = make_advi(m, false, 1);
  resumed->set_state(saved);
  resumed->fit(6, fo);
  const Fitted reference = fitted(*straight);
  expect_same_bits(reference, fitted(*first), "the state read between two fit calls");
  expect_same_bits(reference, fitted(*resumed), "resumed from the state after six steps");
}

TEST(mean_field_adam_step, a_state_set_after_fused_steps_replaces_their_float_state) {
  // set_state on an ADVI whose fused steps left its state in float: state() then returns the
  // state set, and the next steps continue from it (as a fresh ADVI given it would).
  const Model m = regression_model(3000, {});
  FitOptions fo{.progressbar = false};
  auto advi = make_advi(m, false, 1);
  advi->fit(4, fo);
  const Inference::State early = advi->state();
  advi->fit(4, fo);
  advi->set_state(early);
  const Inference::State back = advi->state();
  EXPECT_TRUE(same_bits(back.params, early.params));
  EXPECT_TRUE(same_bits(back.optimizer, early.optimizer));
  advi->fit(4, fo);
  auto fresh = make_advi(m, false, 1);
  fresh->set_state(early);
  fresh->fit(4, fo);
  expect_same_bits(fitted(*fresh), fitted(*advi), "the state set again, four more steps");
}

TEST(mean_field_adam_step, leaves_steps_outside_its_range_to_the_general_path_with_the_same_bits) {
  // rho = 100 and rho = -100 (at index 5 in a block and at the tail's last index) are beyond
  // the float terms' range: draw() hands every step to the general path, on the double state.
  // Then at the tail's last index alone, with beta 0: the gradient's bound does not see
  // 1 / sigma then, so the draw's own range check on the tail's rho is what keeps
  // 1 / sigma = 1 / softplus(-100) (about 4e43, beyond float) out of the float update.
  for (double beta : {1.0, 0.0})
    for (double rho : {100.0, -100.0})
      for (int64_t n : {int64_t{200}, int64_t{40001}})
        for (bool tail_only : {false, true})
          expect_same_bits(fit_regression(n, true, 1, {.beta = beta}, rho, {.rho_at_tail_only = tail_only}),
                           fit_regression(n, false, 2, {.beta = beta}, rho, {.rho_at_tail_only = tail_only}),
                           "rho " + std::to_string(rho) + " n " + std::to_string(n) + " beta " +
                               std::to_string(beta) + (tail_only ? " at the tail alone" : ""));
}

TEST(mean_field_adam_step, a_nonfinite_loss_goes_to_the_general_path_without_a_second_batch) {
  // Step 3's batch holds a NaN: the fused step finds the loss not finite after the program
  // ran and hands the step over; the general path must not ask the generator again.
  int64_t general_calls = 0, fused_calls = 0;
  FitOptions skip{.skip_nonfinite = true};
  const Fitted general = fit_regression(40001, true, 1, skip, NAN, {.generator_calls = &general_calls});
  const Fitted fused = fit_regression(40001, false, 2, skip, NAN, {.generator_calls = &fused_calls});
  expect_within_float_rounding(general, fused, "a NaN in step 3's batch, skipped");
  EXPECT_FALSE(std::isfinite(fused.hist[3]));
  EXPECT_EQ(general_calls, 12);
  EXPECT_EQ(fused_calls, 12);
  general_calls = fused_calls = 0;
  const Fitted general_error = fit_regression(40001, true, 1, {}, NAN, {.generator_calls = &general_calls});
  const Fitted fused_error = fit_regression(40001, false, 2, {}, NAN, {.generator_calls = &fused_calls});
  ASSERT_NE(fused_error.error.find("at step 4"), std::string::npos) << fused_error.error;
  expect_within_float_rounding(general_error, fused_error, "a NaN in step 3's batch");
  EXPECT_EQ(fused_calls, 4);
}

TEST(mean_field_adam_step, a_step_size_beyond_float_goes_to_the_general_path) {
  // A learning rate of 1e308 is infinite in float: the fused step hands every step to the
  // general path, whose double Adam step overflows at w[7] (y[7] = 1e4) on the first step
  // and names it, the parameters kept from before the step (Adam's moments keep the update).
  const Fitted general = fit_regression(40001, true, 2, {}, NAN, {.y7 = 1e4}, 1e308, 3);
  const Fitted fused = fit_regression(40001, false, 2, {}, NAN, {.y7 = 1e4}, 1e308, 3);
  ASSERT_NE(general.error.find("mu[7] of `w`.ravel()[7] became"), std::string::npos) << general.error;
  expect_same_bits(general, fused, "lr 1e308");
  FitOptions skip{.skip_nonfinite = true};
  expect_same_bits(fit_regression(40001, true, 2, skip, NAN, {.y7 = 1e4}, 1e308, 3),
                   fit_regression(40001, false, 2, skip, NAN, {.y7 = 1e4}, 1e308, 3), "lr 1e308, skipped");
}

// A Background whose chunks run when the step closes the work: those that `runs` picks,
// as if idle threads had done just them.
struct ScriptedBackground {
  void (*fn)(void*, int) = nullptr;
  void* context = nullptr;
  int chunks = 0, posts = 0;
  std::function<bool(int post, int chunk)> runs;
  MeanFieldAdamStep::Background background(int threads) {
    MeanFieldAdamStep::Background b;
    b.post = [this](int n, void (*f)(void*, int), void* ctx) {
      fn = f;
      context = ctx;
      chunks = n;
      ++posts;
    };
    b.close = [this] {
      for (int c = 0; c < chunks; ++c)
        if (fn && runs(posts, c)) fn(context, c);
      fn = nullptr;
    };
    b.threads = threads;
    return b;
  }
};

TEST(mean_field_adam_step, noise_drawn_ahead_in_any_part_gives_the_same_draws) {
  const ParallelFor serial = [](int64_t n, const std::function<void(int64_t, int64_t)>& f) { f(0, n); };
  // 3000: three chunks of 1024, six pieces of 512 (the last of 440) and a tail of 56 for
  // the double terms; 40001: 40 chunks, 79 pieces, a tail of 1. Draws (seed, stream, step):
  // 0, 1, 2 (each the one drawn ahead before it), 7 (not: all of it drawn again), 8 (drawn
  // ahead again), another stream, another seed, and that seed's next step.
  struct Draw {
    uint64_t seed, stream, t;
    bool ahead;  // the previous draw posted this one's noise
  };
  const std::vector<Draw> draws = {{5, 0, 0, false}, {5, 0, 1, true},  {5, 0, 2, true},  {5, 0, 7, false},
                                   {5, 0, 8, true},  {5, 3, 9, false}, {6, 3, 10, false}, {6, 3, 11, true}};
  for (int64_t d : {int64_t{3000}, int64_t{40001}}) {
    const int64_t pieces = (d + 511) / 512, chunks = (d + 1023) / 1024;
    std::vector<float> params(static_cast<size_t>(2 * d));
    Philox(11).normal(params.data(), 2 * d, 0, 0);
    std::vector<std::vector<float>> want;
    std::vector<double> want_logq;
    {
      MeanFieldAdamStep plain(d, serial, serial);
      for (const Draw& w : draws) {
        std::vector<float> z(static_cast<size_t>(d));
        double logq = 0;
        ASSERT_TRUE(plain.draw(params, Philox(w.seed), w.stream, w.t, z.data(), &logq));
        EXPECT_EQ(plain.pieces_drawn_ahead(), 0);
        want.push_back(z);
        want_logq.push_back(logq);
      }
    }
    const std::vector<std::pair<std::string, std::function<bool(int, int)>>> scripts = {
        {"none", [](int, int) { return false; }},
        {"all", [](int, int) { return true; }},
        {"every third", [](int post, int c) { return (c + post) % 3 == 0; }},
        {"the first ten", [](int, int c) { return c < 10; }}};
    for (const auto& [name, runs] : scripts)
      for (int threads : {1, 2, 3}) {
        ScriptedBackground scripted;
        scripted.runs = runs;
        MeanFieldAdamStep ahead(d, serial, serial, scripted.background(threads));
        for (size_t k = 0; k < draws.size(); ++k) {
          const Draw& w = draws[k];
          std::vector<float> z(static_cast<size_t>(d));
          double logq = 0;
          ASSERT_TRUE(ahead.draw(params, Philox(w.seed), w.stream, w.t, z.data(), &logq));
          const std::string what = "d " + std::to_string(d) + ", " + name + ", threads " +
                                   std::to_string(threads) + ", draw " + std::to_string(k);
          EXPECT_EQ(std::memcmp(z.data(), want[k].data(), z.size() * sizeof(float)), 0) << what;
          EXPECT_EQ(std::bit_cast<uint64_t>(logq), std::bit_cast<uint64_t>(want_logq[k])) << what;
          // The noise drawn ahead is used where it is this draw's, and only there.
          if (!w.ahead || name == "none")
            EXPECT_EQ(ahead.pieces_drawn_ahead(), 0) << what;
          else if (name == "all")
            EXPECT_EQ(ahead.pieces_drawn_ahead(), pieces) << what;
          else
            EXPECT_GT(ahead.pieces_drawn_ahead(), 0) << what;
          EXPECT_LE(ahead.pieces_drawn_ahead(), pieces) << what;
        }
        EXPECT_EQ(scripted.posts, static_cast<int>(draws.size()));
        // One chunk a piece, in the draw's split: min(threads, chunks) parts of at most
        // ceil(chunks / parts) chunks of two pieces.
        const int64_t parts = std::min<int64_t>(threads, chunks);
        EXPECT_EQ(scripted.chunks, parts * ((chunks + parts - 1) / parts) * 2);
      }
  }
}

TEST(mean_field_adam_step, update_reports_a_new_value_beyond_float) {
  // The kernel alone: mu near float's largest value pushed past it by the update.
  const int64_t d = 100;
  const ParallelFor serial = [](int64_t n, const std::function<void(int64_t, int64_t)>& f) { f(0, n); };
  MeanFieldAdamStep step(d, serial, serial);
  std::vector<float> params(2 * d, 0.0f), next(2 * d), z(d), g(d, 1.0f), m(2 * d, 0.0f), v(2 * d, 0.0f);
  double logq = 0;
  ASSERT_TRUE(step.draw(params, Philox(1), 0, 0, z.data(), &logq));
  ASSERT_TRUE(step.gradient_is_finite(g.data(), 1.0, 1.0, 1.0));
  const Optimizer::AdamSingleStep adam{0.9, 0.999, 1e-8, 1e-3, m.data(), v.data()};
  EXPECT_TRUE(step.update(params, g.data(), 1.0, 1.0, 1.0, adam, next.data()));
  // The loss's gradient in mu is -g = -1, so Adam moves mu up, by 4.25 x the step size
  // here (m = -0.19, v = 0.002 after two steps): 3.4e38 + 4e37 is beyond float's 3.4028e38.
  params[3] = 3.4e38f;
  const Optimizer::AdamSingleStep huge{0.9, 0.999, 1e-8, 1e37, m.data(), v.data()};
  EXPECT_FALSE(step.update(params, g.data(), 1.0, 1.0, 1.0, huge, next.data()));
  EXPECT_FALSE(std::isfinite(next[3]));
}

}  // namespace
}  // namespace elbo
