// Mixture (elbo/vi/mixture.hpp): the density, the draws, the moments, the registry's kind
// and the errors.
#include "elbo/vi/mixture.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/vi/family_registry.hpp"
#include "elbo/vi/full_rank.hpp"
#include "elbo/vi/low_rank.hpp"
#include "elbo/vi/mean_field.hpp"

namespace elbo {
namespace {

double normal_pdf(double z, double m, double s) {
  return std::exp(-0.5 * (z - m) * (z - m) / (s * s)) / (s * std::sqrt(2 * std::numbers::pi));
}

// Two 1-D members, N(-2, 0.5^2) and N(3, 1).
Mixture two_normals() {
  std::vector<std::unique_ptr<Approximation>> members;
  members.push_back(std::make_unique<MeanField>(std::vector<double>{-2.0}, std::vector<double>{0.5}));
  members.push_back(std::make_unique<MeanField>(std::vector<double>{3.0}, std::vector<double>{1.0}));
  return Mixture(std::move(members));
}

TEST(mixture, density_is_the_log_of_the_members_mean_density) {
  const Mixture q = two_normals();
  EXPECT_EQ(q.kind(), "mixture:2:meanfield");
  EXPECT_EQ(q.noise_dim(), 2);
  for (double z : {-3.0, -2.0, 0.4, 3.0, 7.5}) {
    const double want = std::log(0.5 * normal_pdf(z, -2, 0.5) + 0.5 * normal_pdf(z, 3, 1));
    EXPECT_NEAR(q.log_density(&z), want, 1e-12) << z;
  }
  // Far in a tail both members' densities underflow as numbers, not as logs: at -60 the
  // second member's term (63 sd away) outweighs the first's (116 sd) by e^4743.
  const double far = -60;
  EXPECT_NEAR(q.log_density(&far), std::log(0.5) - 0.5 * 63.0 * 63.0 - std::log(std::sqrt(2 * std::numbers::pi)), 1e-9);
}

TEST(mixture, draws_pick_each_member_equally_and_log_q_matches_the_density) {
  // 20,000 draws: each member's share is 0.5 with a standard error of 0.0035; 0.015 is over
  // four of them. The moments: mean 0.5, sd sqrt(6.875); the draws' within 0.05 (about five
  // standard errors).
  const Mixture q = two_normals();
  const int64_t n = 20000;
  std::vector<double> eps(static_cast<size_t>(2 * n)), z(static_cast<size_t>(n));
  Philox(7).normal(eps.data(), 2 * n, 0, 0);
  q.sample_z(eps.data(), z.data(), n);
  int64_t first = 0;
  double sum = 0, squares = 0;
  for (int64_t s = 0; s < n; ++s) {
    const int64_t k = q.member_of(eps[2 * s + 1]);
    first += k == 0;
    EXPECT_NEAR(z[s], k == 0 ? -2.0 + 0.5 * eps[2 * s] : 3.0 + eps[2 * s], 1e-12);  // sigma via softplus
    sum += z[s];
    squares += z[s] * z[s];
    if (s < 50) EXPECT_NEAR(q.logq_from_eps(&eps[2 * s]), q.log_density(&z[s]), 1e-12);
  }
  EXPECT_NEAR(static_cast<double>(first) / n, 0.5, 0.015);
  const double mean = sum / n, sd = std::sqrt(squares / n - mean * mean);
  EXPECT_NEAR(mean, 0.5, 0.05);
  EXPECT_NEAR(sd, std::sqrt(6.875), 0.05);
  EXPECT_NEAR(q.mean()[0], 0.5, 1e-12);
  EXPECT_NEAR(q.sd()[0], std::sqrt(6.875), 1e-12);
  EXPECT_NEAR(q.cov()[0], 6.875, 1e-12);
  // Well-separated members: the entropy is theirs on average plus log 2 (the overlap's
  // share is below 1e-4); the estimate has 4000 draws, standard error about 0.02.
  const double members = 0.5 * (0.5 * std::log(2 * std::numbers::pi * std::numbers::e * 0.25) +
                                0.5 * std::log(2 * std::numbers::pi * std::numbers::e * 1.0));
  EXPECT_NEAR(q.entropy(), members + std::log(2.0), 0.08);
}

TEST(mixture, one_member_is_that_member) {
  std::vector<std::unique_ptr<Approximation>> one;
  auto full = std::make_unique<FullRank>(std::vector<double>{1.0, -1.0});
  full->set_cholesky(1, 0, 0.7);
  full->set_cholesky(1, 1, 1.3);
  const FullRank copy = *full;
  one.push_back(std::move(full));
  const Mixture q(std::move(one));
  const double eps[3] = {0.3, -1.2, 2.0};
  double z[2], want[2];
  q.sample_z(eps, z, 1);
  copy.sample_z(eps, want, 1);
  EXPECT_EQ(z[0], want[0]);
  EXPECT_EQ(z[1], want[1]);
  EXPECT_NEAR(q.log_density(z), copy.logq_from_eps(eps), 1e-12);
  EXPECT_NEAR(copy.log_density(z), copy.logq_from_eps(eps), 1e-12);  // FullRank's density at a point
}

TEST(mixture, the_registry_builds_it_and_parameters_written_reach_the_members) {
  EXPECT_TRUE(is_family_kind("mixture:3:meanfield"));
  EXPECT_FALSE(is_family_kind("mixture:0:meanfield"));
  EXPECT_FALSE(is_family_kind("mixture:3"));
  EXPECT_FALSE(is_family_kind("mixture:2:mixture:2:meanfield"));
  EXPECT_EQ(family_param_count("mixture:3:meanfield", 5), 30);
  EXPECT_EQ(family_param_count("mixture:2:fullrank", 3), 2 * (3 + 6));
  EXPECT_EQ(family_param_count("mixture:x:meanfield", 5), -1);
  std::unique_ptr<Approximation> q = make_family("mixture:3:meanfield", std::vector<double>(2, 0.0));
  ASSERT_EQ(q->kind(), "mixture:3:meanfield");
  ASSERT_EQ(q->params().size(), 12u);
  q->params()[4 + 1] = 5.0;  // member 1's mu[1]
  EXPECT_EQ(q->param_name(5), "member1.mu[1]");
  EXPECT_EQ(q->coordinate(5), 1);
  const auto& mixture = dynamic_cast<const Mixture&>(*q);
  EXPECT_EQ(mixture.member(1).mean()[1], 5.0);
  EXPECT_NEAR(q->mean()[1], 5.0 / 3.0, 1e-12);
  const std::unique_ptr<Approximation> copy = q->clone();
  EXPECT_EQ(copy->mean(), q->mean());
}

TEST(mixture, names_what_it_cannot_do) {
  std::vector<std::unique_ptr<Approximation>> differ;
  differ.push_back(std::make_unique<MeanField>(std::vector<double>{0.0}));
  differ.push_back(std::make_unique<MeanField>(std::vector<double>{0.0, 1.0}));
  EXPECT_THROW(Mixture(std::move(differ)), InvalidArgument);
  EXPECT_THROW(Mixture(std::vector<std::unique_ptr<Approximation>>{}), InvalidArgument);
  std::vector<std::unique_ptr<Approximation>> low;
  low.push_back(std::make_unique<LowRank>(std::vector<double>{0.0, 1.0}, 1));
  try {
    Mixture m(std::move(low));
    FAIL() << "a member without a density at a point was taken";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("lowrank:1"), std::string::npos) << e.what();
  }
  const Mixture q = two_normals();
  std::vector<double> grad(q.params().size());
  const double eps[2] = {0, 0}, dz[1] = {1}, dlogq[1] = {1};
  try {
    q.backward(eps, dz, dlogq, 1, 1.0, grad.data());
    FAIL() << "backward ran";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("fitted member by member"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace elbo
