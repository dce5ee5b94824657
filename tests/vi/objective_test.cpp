// The Renyi and importance-weighted (IWAE) objectives on a conjugate model: the bounds'
// order, the limit alpha -> 1, a fit, and the named errors. Fixed seeds; tolerances at each
// check.
#include <gtest/gtest.h>

#include <cmath>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"
#include "elbo/vi.hpp"
#include "family_checks.hpp"

namespace elbo {
namespace {

using testing::message_of;
using testing::SmallConjugate;



TEST(objective, iwae_bound_is_above_the_elbo_and_grows_with_its_particles) {
  // q is off the posterior (mean shifted by one sd, sd 1.6 times too wide), so the bounds
  // differ visibly. Each bound is averaged over 4000 estimates (standard error about 0.001
  // nats here). Measured: ELBO -26.61, K = 2: -26.08, 5: -25.88, 20: -25.83, 100: -25.82,
  // approaching log p(x); the asserted gaps are 0.02 up to K = 20 and 0.005 after.
  SmallConjugate c;
  double mean[1] = {c.post_mean + c.post_sd}, sd[1] = {1.6 * c.post_sd};
  MeanField q(mean, sd);
  const double elbo = estimate_bound(c.m, q, Objective::kl(), 1, 4000, 3);
  // One particle is the ELBO's estimator on the same draws: equal up to rounding.
  EXPECT_NEAR(estimate_bound(c.m, q, Objective::iwae(), 1, 4000, 3), elbo, 1e-9);
  double previous = elbo;
  for (int64_t k : {2, 5, 20, 100}) {
    const double b = estimate_bound(c.m, q, Objective::iwae(), k, 4000, 3);
    EXPECT_GT(b, previous + (k <= 20 ? 0.02 : 0.005)) << "K = " << k;
    previous = b;
  }
}

TEST(objective, renyi_tends_to_the_elbo_as_alpha_tends_to_one) {
  // On the same draws the Renyi estimate is the ELBO's plus O((1 - alpha) var(log w)):
  // with 1 - alpha = 1e-6 and var(log w) ~ 1 the gap is ~1e-6, under the 1e-4 asserted.
  SmallConjugate c;
  double mean[1] = {c.post_mean + c.post_sd}, sd[1] = {1.6 * c.post_sd};
  MeanField q(mean, sd);
  const double elbo = estimate_bound(c.m, q, Objective::kl(), 10, 200, 4);
  EXPECT_NEAR(estimate_bound(c.m, q, Objective::renyi(1 - 1e-6), 10, 200, 4), elbo, 1e-4);
  // And alpha = 0.5 lies between the ELBO and IWAE's bound (Renyi bounds fall with alpha).
  const double half = estimate_bound(c.m, q, Objective::renyi(0.5), 10, 2000, 4);
  EXPECT_GT(half, estimate_bound(c.m, q, Objective::kl(), 10, 2000, 4));
  EXPECT_LT(half, estimate_bound(c.m, q, Objective::iwae(), 10, 2000, 4));
}

TEST(objective, an_iwae_fit_finds_the_posterior_mean) {
  // For a Gaussian posterior and a Gaussian q, the IWAE optimum is the posterior itself;
  // adam at 0.01, 4000 steps of 8 particles, the mean of the last 500 iterates: within a
  // tenth of a posterior sd.
  SmallConjugate c;
  ADVI advi(c.m, {.seed = 6, .optimizer = {.name = "adam", .learning_rate = 0.01}});
  advi.fit(4000, {.obj_n_mc = 8, .objective = Objective::iwae(), .progressbar = false});
  double mean = 0;
  for (int k = 0; k < 500; ++k) {
    advi.fit(1, {.obj_n_mc = 8, .objective = Objective::iwae(), .progressbar = false});
    mean += advi.approximation().mean()[0] / 500;
  }
  EXPECT_NEAR(mean, c.post_mean, 0.1 * c.post_sd);
  EXPECT_TRUE(std::isfinite(advi.hist().back()));
}

TEST(objective, bad_objectives_are_named) {
  EXPECT_EQ(message_of([] { Objective::renyi(1.0); }),
            "Objective::renyi: argument 'alpha' is 1, but must be finite, >= 0 and not 1 (alpha = 1 is the ELBO: use "
            "kl)");
  EXPECT_THROW(Objective::renyi(-0.5), InvalidArgument);
  long long k = 0;
  EXPECT_EQ(parse_objective("iwae:16", &k).name(), "iwae");
  EXPECT_EQ(k, 16);
  EXPECT_EQ(parse_objective("renyi:0.5", &k).name(), "renyi:0.5");
  EXPECT_EQ(parse_objective("kl", &k).name(), "kl");
  for (const char* bad : {"iwae", "iwae:0", "renyi:1", "renyi:x", "renyi:-1", "kl:2", "elbo"})
    EXPECT_EQ(message_of([&] { parse_objective(bad, &k); }),
              std::string("objective '") + bad + "': write kl, renyi:ALPHA (ALPHA >= 0, not 1) or iwae:K (K >= 1)");
  SmallConjugate c;
  ADVI advi(c.m);
  EXPECT_EQ(message_of([&] { advi.fit(5, {.objective = Objective::iwae(), .beta = 0.5, .progressbar = false}); }),
            "fit: argument 'beta' is 0.5, but the iwae objective has no KL part to weight; it must be 1");
  EXPECT_EQ(message_of([&] {
              advi.fit(5, {.cost_part_grad_scale = 0, .objective = Objective::renyi(0.5), .progressbar = false});
            }),
            "fit: argument 'cost_part_grad_scale' is 0, but the renyi:0.5 objective's gradient is biased without its "
            "score part; it must be 1");
}

}  // namespace
}  // namespace elbo
