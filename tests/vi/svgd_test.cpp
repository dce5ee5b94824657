// SVGD and ASVGD: the Stein direction by hand, a bimodal target matched by the particles
// (both modes, their weights), a Gaussian posterior, and the named errors. Fixed seeds;
// tolerances at each check.
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


TEST(stein_direction, two_particles_by_hand) {
  // x = {0, 1} in 1-D: the median squared distance is 1, h = 1 / log 3, k(0, 1) = 1/3.
  // phi_0 = 1/2 [k00 g0 + k01 g1 + 2/h (k00 (0 - 0) + k01 (0 - 1))], likewise phi_1.
  const double x[2] = {0.0, 1.0}, g[2] = {0.5, -2.0};
  double phi[2];
  SteinScratch w;
  const double h = stein_direction(x, g, 2, 1, 1.0, phi, w);
  EXPECT_NEAR(h, 1.0 / std::log(3.0), 1e-15);
  const double k = 1.0 / 3.0, two_h = 2.0 / h;
  EXPECT_NEAR(phi[0], 0.5 * (g[0] + k * g[1] + two_h * k * (0.0 - 1.0)), 1e-15);
  EXPECT_NEAR(phi[1], 0.5 * (k * g[0] + g[1] + two_h * k * (1.0 - 0.0)), 1e-15);
  // Temperature 2 halves the density part only.
  double hot[2];
  stein_direction(x, g, 2, 1, 2.0, hot, w);
  EXPECT_NEAR(hot[0], 0.5 * (0.5 * (g[0] + k * g[1]) + two_h * k * (0.0 - 1.0)), 1e-15);
}

// x ~ N(0.5, 3), 4 ~ N(x^2, 1): two modes near -2 and +2, the positive one heavier.
struct Bimodal {
  Model m;
  double p_positive = 0;  // the exact posterior mass of x > 0, by quadrature
  Bimodal() {
    Expr x = m.normal("x", 0.5, 3.0);
    m.normal_likelihood("y", square(x), 1.0, m.data("y_obs", Tensor(DType::f64, {1}, {4.0})));
    double pos = 0, all = 0;
    for (double v = -8; v <= 8; v += 1e-4) {
      const double d = std::exp(-0.5 * std::pow((v - 0.5) / 3.0, 2) - 0.5 * std::pow(4.0 - v * v, 2));
      all += d;
      if (v > 0) pos += d;
    }
    p_positive = pos / all;
  }
};

TEST(svgd, particles_cover_both_modes_of_a_bimodal_posterior_with_their_weights) {
  // 100 particles from the initial point 0.5 with jitter 2, adam at 0.05 for 3000 steps.
  // The exact mass of the positive mode is 0.553; measured with this seed: 0.60 of the
  // particles there, modes at +1.94 and -1.93. Tolerances: 0.1 on the share of particles
  // on each side (one particle is 0.01, and SVGD's kernel spreads them imperfectly), and
  // 0.3 on each mode's centre (the modes are near +-2 and about 0.25 wide).
  Bimodal b;
  SVGD svgd(b.m, {.seed = 2, .optimizer = {.name = "adam", .learning_rate = 0.05}, .particles = 100, .jitter = 2.0});
  svgd.fit(3000, {.progressbar = false});
  const auto x = svgd.approximation().params();
  double pos = 0, sum_pos = 0, sum_neg = 0;
  for (double v : x) {
    if (v > 0) {
      ++pos;
      sum_pos += v;
    } else {
      sum_neg += v;
    }
  }
  const double share = pos / static_cast<double>(x.size());
  EXPECT_GT(b.p_positive, 0.5);  // the test needs unequal modes
  EXPECT_LT(b.p_positive, 0.65);
  EXPECT_NEAR(share, b.p_positive, 0.1);
  ASSERT_GT(pos, 10);
  ASSERT_LT(pos, 90);
  // The modes: where x^2 = 4 pulls, shifted a little by the prior.
  EXPECT_NEAR(sum_pos / pos, 2.0, 0.3);
  EXPECT_NEAR(sum_neg / (static_cast<double>(x.size()) - pos), -2.0, 0.3);
}


TEST(svgd, particles_match_a_gaussian_posterior) {
  // 100 particles: mean within 0.1 sd, sd within 10 % (measured: the mean exact to 1e-4,
  // the sd 1 % low; SVGD with the median heuristic is close but not exact in its spread).
  SmallConjugate c;
  SVGD svgd(c.m, {.seed = 3, .optimizer = {.name = "adam", .learning_rate = 0.02}, .particles = 100});
  svgd.fit(2000, {.progressbar = false});
  EXPECT_EQ(svgd.approximation().kind(), "empirical:100");
  EXPECT_NEAR(svgd.approximation().mean()[0], c.post_mean, 0.1 * c.post_sd);
  EXPECT_NEAR(svgd.approximation().sd()[0], c.post_sd, 0.1 * c.post_sd);
  // Draws pick particles: their mean is the particles' mean within sampling error.
  std::vector<double> eps(4000), z(4000);
  Philox(1).normal(eps.data(), 4000, 0, 0);
  svgd.approximation().sample_z(eps.data(), z.data(), 4000);
  double m = 0;
  for (double v : z) m += v / 4000;
  EXPECT_NEAR(m, svgd.approximation().mean()[0], 4 * c.post_sd / std::sqrt(4000.0));
}

TEST(asvgd, a_mean_field_trained_by_the_stein_direction_finds_the_posterior_mean) {
  // 50 draws a step, adam at 0.02, 3000 steps, the mean of the last 300 iterates: within
  // 0.2 posterior sd.
  SmallConjugate c;
  ASVGD asvgd(c.m, {.seed = 4, .optimizer = {.name = "adam", .learning_rate = 0.02}});
  asvgd.fit(3000, {.obj_n_mc = 50, .progressbar = false});
  double mean = 0;
  for (int k = 0; k < 300; ++k) {
    asvgd.fit(1, {.obj_n_mc = 50, .progressbar = false});
    mean += asvgd.approximation().mean()[0] / 300;
  }
  EXPECT_NEAR(mean, c.post_mean, 0.2 * c.post_sd);
}

TEST(svgd, particles_refuse_what_needs_a_density) {
  SmallConjugate c;
  SVGD svgd(c.m, {.particles = 10});
  EXPECT_EQ(message_of([&] { svgd.fit(5, {.objective = Objective::kl(), .progressbar = false}); }),
            "fit: the empirical:10 approximation is particles without a density; fit it with the ksd objective "
            "(SVGD), not kl");
  EXPECT_EQ(message_of([&] { check_approximation(c.m, svgd.approximation()); }),
            "check_approximation: the empirical:10 approximation has no density (particles), so no importance "
            "ratios and no PSIS k-hat");
  EXPECT_EQ(message_of([&] { SVGD bad(c.m, {.particles = 1}); }),
            "Empirical: argument 'particles' is 1, but must be >= 2");
  EXPECT_THROW(Objective::ksd(0.0), InvalidArgument);
  ASVGD asvgd(c.m);
  EXPECT_EQ(message_of([&] { asvgd.fit(5, {.progressbar = false}); }),
            "fit: argument 'obj_n_mc' is 1, but the Stein direction needs at least 2 draws a step (with one the "
            "kernel's repulsion vanishes and ASVGD collapses to a point)");
  EXPECT_EQ(message_of([&] { svgd.adapt_step_size(5, {.objective = Objective::iwae(), .progressbar = false}); }),
            "adapt_step_size: the empirical:10 approximation is particles without a density; fit it with the ksd "
            "objective (SVGD), not iwae");
  // A NaN draw picks a particle instead of casting NaN to an index.
  double nan_eps = NAN, z = 0;
  svgd.approximation().sample_z(&nan_eps, &z, 1);
  EXPECT_EQ(z, svgd.approximation().params()[0]);
}

}  // namespace
}  // namespace elbo
