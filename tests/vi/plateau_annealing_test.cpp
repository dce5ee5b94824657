// PlateauAnnealing: the rate is cut when the loss stops falling beyond its noise, the fit
// stops at the plateau after the last cut, a steady fall hidden in noise is still seen as
// one, and a restored state decides as the uninterrupted schedule.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "elbo/graph/error.hpp"
#include "elbo/vi/mean_field.hpp"
#include "elbo/vi/plateau_annealing.hpp"

namespace elbo {
namespace {

// Runs the schedule's test over steps [from, to] of `hist`; returns the step it stopped at
// (0 when it did not) and records each step's rate for base 1 in `rates` (when given).
int64_t run(PlateauAnnealing& a, const std::vector<double>& hist, int64_t from, int64_t to,
            std::vector<double>* rates = nullptr) {
  MeanField q(std::vector<double>{0.0}, 0.1);
  for (int64_t s = from; s <= to; ++s) {
    if (rates) rates->push_back(a.rate(1.0, s, {}));
    std::string reason;
    StepInfo info{q, std::span<const double>(hist.data(), static_cast<size_t>(s)), s, s, to};
    if (!a(info, reason)) return s;
  }
  return 0;
}

// level - slope * step + N(0, noise^2), seeded.
std::vector<double> losses(int64_t n, double level, double slope, double noise, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, noise);
  std::vector<double> h;
  for (int64_t s = 1; s <= n; ++s) h.push_back(level - slope * static_cast<double>(s) + normal(rng));
  return h;
}

TEST(plateau_annealing, a_flat_loss_is_cut_after_each_patience_and_then_stops) {
  // A flat loss with a small periodic wobble (period 100 divides the window, so every
  // window has the same mean): no window improves on the one before.
  std::vector<double> hist;
  for (int64_t s = 1; s <= 20000; ++s) hist.push_back(50 + 0.1 * std::sin(2 * M_PI * static_cast<double>(s) / 100));
  PlateauAnnealing a({.window = 1000, .batches = 10, .patience = 1, .factor = 0.5, .cuts = 2});
  std::vector<double> rates;
  // Window 1 (step 1000) is the reference; 2000 shows no gain: cut 1. 3000 is the new
  // reference, 4000: cut 2; 5000 the reference, 6000: converged.
  EXPECT_EQ(run(a, hist, 1, 20000, &rates), 6000);
  EXPECT_TRUE(a.converged());
  EXPECT_EQ(a.cuts_made(), 2);
  EXPECT_EQ(rates[1999], 1.0);   // step 2000 runs at the base rate (the cut follows it)
  EXPECT_EQ(rates[2000], 0.5);   // step 2001
  EXPECT_EQ(rates[4000], 0.25);  // step 4001
  EXPECT_EQ(a.rate(0.01, 6001, {}), 0.0025);
}

TEST(plateau_annealing, patience_waits_that_many_windows) {
  std::vector<double> hist(20000, 3.0);
  PlateauAnnealing a({.window = 500, .batches = 10, .patience = 3, .cuts = 1});
  // Reference at 500; no gain at 1000, 1500, 2000: cut. Reference 2500; 3000..4000: stop.
  EXPECT_EQ(run(a, hist, 1, 20000), 4000);
}

TEST(plateau_annealing, steps_before_the_start_are_not_judged) {
  // A KL warm-up's losses rise as the KL weight does. With start = 2500 and a flat loss
  // after it, the windows ending at 1000, 2000 and 3000 (which holds steps 2001-2500) are
  // not judged, however the loss moved; the window ending at 4000 is the first whose steps
  // all follow 2500, the reference; 5000 brings the cut and, with one cut allowed, 6000
  // is the reference at the new rate and 7000 the stop.
  std::vector<double> hist;
  for (int64_t s = 1; s <= 20000; ++s) hist.push_back(s <= 2500 ? static_cast<double>(s) : 3000.0);
  PlateauAnnealing a({.window = 1000, .batches = 10, .patience = 1, .cuts = 1, .start = 2500});
  std::vector<double> rates;
  EXPECT_EQ(run(a, hist, 1, 20000, &rates), 7000);
  EXPECT_EQ(rates[4999], 1.0);  // step 5000 at the base rate; the cut follows it
  EXPECT_EQ(rates[5000], 0.5);
  // Without the start, the rising loss of the first windows is no gain: cut at 2000.
  PlateauAnnealing b({.window = 1000, .batches = 10, .patience = 1, .cuts = 1});
  rates.clear();
  EXPECT_EQ(run(b, hist, 1, 20000, &rates), 4000);
  EXPECT_EQ(rates[2000], 0.5);
}

TEST(plateau_annealing, a_steady_fall_beyond_the_noise_is_never_cut) {
  // Noise sd 5 per step: a window mean of 1000 steps has se about 0.16 and the difference of
  // two about 0.22; a fall of 0.002 a step is 2 per window, nine times that.
  const std::vector<double> hist = losses(30000, 1000, 0.002, 5.0, 7);
  PlateauAnnealing a({.window = 1000, .cuts = 3});
  EXPECT_EQ(run(a, hist, 1, 30000), 0);
  EXPECT_EQ(a.cuts_made(), 0);
}

TEST(plateau_annealing, a_fall_smaller_than_the_noise_counts_as_a_plateau) {
  // A fall of 0.02 a window under noise of sd 5 per step (window se about 0.16): well inside
  // two standard errors of the difference, so each window is a plateau (the fixed seed makes
  // the outcome certain; with these figures a false "improvement" has probability < 1 %
  // per window).
  const std::vector<double> hist = losses(30000, 1000, 0.00002, 5.0, 11);
  PlateauAnnealing a({.window = 1000, .patience = 1, .cuts = 3});
  EXPECT_EQ(run(a, hist, 1, 30000), 8000);  // reference, cut, reference, cut, ..., stop
}

TEST(plateau_annealing, the_relative_tolerance_ignores_tiny_gains_of_a_noiseless_loss) {
  // Without noise every fall is "significant"; rtol 1e-4 of a loss near 1000 asks for 0.1 a
  // window, and this one falls by 0.01.
  const std::vector<double> hist = losses(20000, 1000, 0.00001, 0.0, 1);
  PlateauAnnealing a({.window = 1000, .cuts = 0, .rtol = 1e-4});
  EXPECT_EQ(run(a, hist, 1, 20000), 2000);
  PlateauAnnealing strict({.window = 1000, .cuts = 0, .rtol = 0});
  EXPECT_EQ(run(strict, hist, 1, 20000), 0);
}

TEST(plateau_annealing, without_stop_when_converged_it_only_cuts) {
  std::vector<double> hist(20000, 3.0);
  PlateauAnnealing a({.window = 1000, .cuts = 2, .stop_when_converged = false});
  EXPECT_EQ(run(a, hist, 1, 20000), 0);
  EXPECT_TRUE(a.converged());
  EXPECT_EQ(a.rate(1.0, 20001, {}), 0.25);
}

TEST(plateau_annealing, a_restored_state_stops_where_the_uninterrupted_schedule_does) {
  // A loss that levels off (500 e^(-step / 5000) above its floor) under noise of sd 3.
  std::vector<double> hist = losses(60000, 1000, 0.0, 3.0, 5);
  for (int64_t s = 1; s <= 60000; ++s) hist[static_cast<size_t>(s - 1)] += 500 * std::exp(-static_cast<double>(s) / 5000);
  const PlateauAnnealing::Options o{.window = 1000, .patience = 2, .cuts = 3};
  PlateauAnnealing whole(o), first(o), resumed(o);
  const int64_t stop = run(whole, hist, 1, 60000);
  ASSERT_GT(stop, 5000) << "the test needs a stop after several windows";
  const int64_t at = stop - 2500;  // off the window grid
  ASSERT_EQ(run(first, hist, 1, at), 0);
  resumed.restore_state(first.saved_state());
  EXPECT_EQ(resumed.rate(1.0, at + 1, {}), first.rate(1.0, at + 1, {}));
  EXPECT_EQ(run(resumed, hist, at + 1, 60000), stop);
  EXPECT_EQ(resumed.saved_state(), whole.saved_state());
  // An empty state is a fresh schedule.
  resumed.restore_state({});
  EXPECT_EQ(resumed.scale(), 1.0);
  EXPECT_EQ(resumed.cuts_made(), 0);
}

TEST(plateau_annealing, a_window_with_a_non_finite_loss_is_no_gain) {
  std::vector<double> hist = losses(10000, 1000, 0.01, 1.0, 3);  // falls 10 a window
  hist[2500] = std::nan("");
  PlateauAnnealing a({.window = 1000, .patience = 1, .cuts = 5});
  EXPECT_EQ(run(a, hist, 1, 3000), 0);
  EXPECT_EQ(a.cuts_made(), 1);  // window 3 (steps 2001-3000) holds the NaN
}

TEST(plateau_annealing, bad_options_and_states_are_refused_by_name) {
  auto message = [](PlateauAnnealing::Options o) {
    try {
      PlateauAnnealing a(o);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({.window = 1005}).find("option 'window'"), std::string::npos);
  EXPECT_NE(message({.batches = 1}).find("option 'batches'"), std::string::npos);
  EXPECT_NE(message({.patience = 0}).find("option 'patience'"), std::string::npos);
  EXPECT_NE(message({.factor = 1.0}).find("option 'factor'"), std::string::npos);
  EXPECT_NE(message({.cuts = -1}).find("option 'cuts'"), std::string::npos);
  EXPECT_NE(message({.z = -1}).find("option 'z'"), std::string::npos);
  EXPECT_NE(message({.rtol = std::nan("")}).find("option 'rtol'"), std::string::npos);
  EXPECT_NE(message({.start = -1}).find("option 'start'"), std::string::npos);
  PlateauAnnealing a;
  EXPECT_THROW(a.restore_state(std::vector<double>{0.5, 1, 0}), InvalidArgument);
  EXPECT_THROW(a.restore_state(std::vector<double>{2.0, 0, 0, 0, 1, 1}), InvalidArgument);  // scale > 1
  EXPECT_THROW(a.restore_state(std::vector<double>{0.5, 99, 0, 0, 1, 1}), InvalidArgument);  // cuts > options'
}

}  // namespace
}  // namespace elbo
