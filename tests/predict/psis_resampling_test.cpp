// Posterior::sample with SampleOptions::psis: importance-resampled draws that correct q
// towards the posterior, and refused when PSIS k-hat says the weights cannot be trusted.
#include <gtest/gtest.h>

#include <cmath>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"
#include "elbo/predict.hpp"
#include "elbo/vi.hpp"
#include "support/expect_throw_msg.hpp"

namespace elbo {
namespace {

double column_mean(const Tensor& t) {
  double s = 0;
  for (int64_t i = 0; i < t.numel(); ++i) s += t[i];
  return s / static_cast<double>(t.numel());
}

double column_sd(const Tensor& t) {
  const double m = column_mean(t);
  double s = 0;
  for (int64_t i = 0; i < t.numel(); ++i) s += (t[i] - m) * (t[i] - m);
  return std::sqrt(s / static_cast<double>(t.numel()));
}

TEST(psis_resampling, moves_a_shifted_wide_q_onto_the_posterior) {
  // p: a ~ N(0, 1). q = N(0.4, 1.3^2): wider than p, so the weights are bounded
  // (k = 1 - 1.3^2 < 0) and the resampled draws follow p. 4000 draws from 20000 candidates
  // (ESS about 14000): the resampled mean's sd is about 1 / sqrt(4000) = 0.016 (resampling
  // repeats some candidates, a little more), so 0.08 is five of them; q's own draws have
  // mean 0.4, far outside. The sd's standard error is about 0.012; 0.06 likewise.
  Model m;
  m.normal("a", 0.0, 1.0);
  const double mu[1] = {0.4}, sd[1] = {1.3};
  MeanField q(mu, sd);
  Posterior post(m, q);
  const Trace plain = post.sample(4000, 7);
  EXPECT_NEAR(column_mean(plain["a"]), 0.4, 0.08);
  const Trace corrected = post.sample(4000, 7, {.psis = true, .candidates = 20000});
  ASSERT_EQ(corrected.draws(), 4000);
  EXPECT_NEAR(column_mean(corrected["a"]), 0.0, 0.08);
  EXPECT_NEAR(column_sd(corrected["a"]), 1.0, 0.06);
}

TEST(psis_resampling, resampled_draws_are_candidates_of_the_check) {
  // Every resampled draw is one of check_approximation's draws, made again by index.
  Model m;
  m.normal("a", 0.0, 1.0);
  const double mu[1] = {0.2}, sd[1] = {1.1};
  MeanField q(mu, sd);
  const Trace t = Posterior(m, q).sample(50, 3, {.psis = true, .candidates = 200});
  const ApproximationCheck c = check_approximation(m, q, {.draws = 200, .seed = 3});
  for (int64_t d = 0; d < 50; ++d) {
    const double a = t["a"][d];
    bool found = false;
    for (int64_t i = 0; i < 200 && !found; ++i) {
      double z = 0;
      approximation_check_draw(q, 3, i, &z);
      found = z == a;
    }
    EXPECT_TRUE(found) << "draw " << d << " = " << a;
  }
  // And a draw made again has the log ratio the check computed for it.
  double z = 0;
  approximation_check_draw(q, 3, 17, &z);
  const double logp = -0.5 * z * z - 0.5 * std::log(2 * M_PI);
  const double logq = -0.5 * ((z - 0.2) / 1.1) * ((z - 0.2) / 1.1) - std::log(1.1) - 0.5 * std::log(2 * M_PI);
  EXPECT_NEAR(c.log_ratios[17], logp - logq, 1e-12);
}

TEST(psis_resampling, refuses_when_khat_says_do_not_trust) {
  // q much narrower than p: k = 1 - 0.3^2 / 1 = 0.91.
  Model m;
  m.normal("a", 0.0, 1.0);
  const double mu[1] = {0.0}, sd[1] = {0.3};
  MeanField q(mu, sd);
  EXPECT_THROW_MSG(Posterior(m, q).sample(100, 1, {.psis = true, .candidates = 4000}), NumericalError,
                   "sample: PSIS k-hat is ");
  EXPECT_THROW_MSG(Posterior(m, q).sample(100, 1, {.psis = true, .candidates = 5}), InvalidArgument,
                   "argument 'candidates' is 5");
}

}  // namespace
}  // namespace elbo
