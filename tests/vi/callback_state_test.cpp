// A convergence callback's saved state restores it: a callback restored from the state
// another saved mid-way decides exactly as the one that saw every step.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "elbo/graph/error.hpp"
#include "elbo/vi/callback.hpp"
#include "elbo/vi/mean_field.hpp"

namespace elbo {
namespace {

// A loss history that levels off: 1 + 10 / step plus a small wobble (the relative change
// of the mean over 100 steps is about 1000 / step^2).
std::vector<double> levelling_losses(int64_t n) {
  std::vector<double> h;
  for (int64_t s = 1; s <= n; ++s) h.push_back(1 + 10.0 / static_cast<double>(s) + 0.01 * std::sin(0.7 * s));
  return h;
}

// Runs `c` over steps [from, to] of `hist`, with parameters that move less and less;
// returns the step it stopped at (0 when it did not).
int64_t run(Callback& c, const std::vector<double>& hist, int64_t from, int64_t to) {
  std::vector<double> mu(4, 0.0);
  for (int64_t s = from; s <= to; ++s) {
    for (size_t i = 0; i < mu.size(); ++i) mu[i] = 1.0 + static_cast<double>(i) + 10.0 / static_cast<double>(s);
    MeanField q(mu, 0.1);
    std::string reason;
    StepInfo info{q, std::span<const double>(hist.data(), static_cast<size_t>(s)), s, s, to};
    if (!c(info, reason)) return s;
  }
  return 0;
}

TEST(callback_state, a_restored_elbo_test_stops_where_the_uninterrupted_one_does) {
  const std::vector<double> hist = levelling_losses(5000);
  ElboConvergence::Options o{.eval_elbo = 100, .tol_rel_obj = 0.0005, .buffer = 5};
  ElboConvergence whole(o), first(o), resumed(o);
  const int64_t stop = run(whole, hist, 1, 5000);
  ASSERT_GT(stop, 1000) << "the test needs a stop well after the first estimates";
  // A checkpoint two estimates before the stop.
  const int64_t at = stop - 200;
  ASSERT_EQ(run(first, hist, 1, at), 0);
  const std::vector<double> state = first.saved_state();
  EXPECT_EQ(state.size(), 1u + 5u);  // the previous ELBO and a full buffer of changes
  resumed.restore_state(state);
  EXPECT_EQ(run(resumed, hist, at + 1, 5000), stop);
  // Without the state, the test needs two new estimates and a change first: it stops later.
  ElboConvergence fresh(o);
  EXPECT_GT(run(fresh, hist, at + 1, 5000), stop);
}

TEST(callback_state, a_restored_parameter_test_compares_with_the_saved_parameters) {
  const std::vector<double> hist = levelling_losses(20000);
  CheckParametersConvergence::Options o{.every = 100, .tolerance = 1e-3};
  CheckParametersConvergence whole(o), first(o), resumed(o);
  const int64_t stop = run(whole, hist, 1, 20000);
  ASSERT_GT(stop, 300);
  ASSERT_EQ(run(first, hist, 1, 300), 0);
  EXPECT_EQ(first.saved_state().size(), 8u);  // the parameters of the check at step 300
  resumed.restore_state(first.saved_state());
  EXPECT_EQ(run(resumed, hist, 301, 20000), stop);
}

TEST(callback_state, states_that_cannot_be_are_refused) {
  ElboConvergence elbo;
  EXPECT_THROW(elbo.restore_state(std::vector<double>{-5, -0.1}), InvalidArgument);
  EXPECT_TRUE(ElboConvergence().saved_state().empty());
  LambdaCallback stateless([](const StepInfo&) { return true; });
  EXPECT_TRUE(stateless.saved_state().empty());
  EXPECT_THROW(stateless.restore_state(std::vector<double>{1}), InvalidArgument);
  // A parameter state of the wrong size is named at the next check.
  CheckParametersConvergence params({.every = 1});
  params.restore_state(std::vector<double>{1, 2, 3});
  MeanField q(std::vector<double>{0, 0}, 0.1);
  std::vector<double> hist = {1};
  std::string reason;
  EXPECT_THROW(params(StepInfo{q, hist, 1, 1, 1}, reason), InvalidArgument);
}

}  // namespace
}  // namespace elbo
