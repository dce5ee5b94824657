#pragma once
// Checks shared by the family tests: seeded normals, and two families compared draw by
// draw (z, log q and backward() at three cost_part_grad_scale values).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "elbo/graph.hpp"
#include "elbo/vi.hpp"

namespace elbo::testing {

inline std::vector<double> normals(int64_t n, uint64_t seed, double scale = 1.0) {
  std::vector<double> v(static_cast<size_t>(n));
  Philox(seed).normal(v.data(), n, 0, 0);
  for (double& x : v) x *= scale;
  return v;
}

inline void expect_close(double a, double b, double rel, const std::string& what) {
  EXPECT_NEAR(a, b, rel * std::max(1.0, std::abs(b))) << what;
}

// Draws, log densities and backward() for S draws and three scales, family a against b.
// Both compute in double from the same parameters, differing only in the order of
// operations (and Eigen's softplus against std's), so 1e-12 relative is ~1e4 ulp of slack.
inline void expect_same_family(const Approximation& a, const Approximation& b, int64_t S) {
  ASSERT_EQ(a.dim(), b.dim());
  ASSERT_EQ(a.noise_dim(), b.noise_dim());
  ASSERT_EQ(a.params().size(), b.params().size());
  const int64_t D = a.dim(), E = a.noise_dim(), P = static_cast<int64_t>(a.params().size());
  auto eps = normals(S * E, 1), dz = normals(S * D, 2), dlogq = normals(S, 3);
  std::vector<double> za(S * D), zb(S * D), lqa(S), lqb(S);
  a.sample(eps.data(), za.data(), lqa.data(), S);
  b.sample(eps.data(), zb.data(), lqb.data(), S);
  for (int64_t i = 0; i < S * D; ++i) expect_close(za[i], zb[i], 1e-12, "z[" + std::to_string(i) + "]");
  for (int64_t s = 0; s < S; ++s) {
    expect_close(lqa[s], lqb[s], 1e-12, "logq[" + std::to_string(s) + "]");
    expect_close(a.logq_from_eps(eps.data() + s * E), lqa[s], 1e-12, "logq_from_eps");
  }
  for (double scale : {1.0, 0.0, 0.3}) {
    std::vector<double> ga(P), gb(P);
    a.backward(eps.data(), dz.data(), dlogq.data(), S, scale, ga.data());
    b.backward(eps.data(), dz.data(), dlogq.data(), S, scale, gb.data());
    for (int64_t i = 0; i < P; ++i)
      expect_close(ga[i], gb[i], 1e-12, "scale " + std::to_string(scale) + ": d/d" + a.param_name(i));
  }
}

}  // namespace elbo::testing
