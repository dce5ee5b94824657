#pragma once
// Checks shared by the family and objective tests: seeded normals, two families compared
// draw by draw (z, log q and backward() at three cost_part_grad_scale values), backward()
// against finite differences, a small conjugate model and exception messages.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <functional>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"
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


/// What f throws, or "<no exception>".
inline std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no exception>";
}

/// backward() at scale 1 against central differences of
/// f(params) = sum_s dz_s . z_s + dlogq_s logq(z_s) for S draws: h = 1e-6 in double is
/// accurate to ~1e-9 for these smooth families; 1e-6 relative to max(1, |fd|) is asserted.
inline void expect_backward_matches_finite_differences(const Approximation& q, int64_t S, uint64_t seed) {
  const int64_t D = q.dim(), E = q.noise_dim(), P = static_cast<int64_t>(q.params().size());
  auto eps = normals(S * E, seed), dz = normals(S * D, seed + 1), dlogq = normals(S, seed + 2);
  auto f = [&](const Approximation& r) {
    std::vector<double> z(S * D), lq(S);
    r.sample(eps.data(), z.data(), lq.data(), S);
    double v = 0;
    for (int64_t i = 0; i < S * D; ++i) v += dz[i] * z[i];
    for (int64_t s = 0; s < S; ++s) v += dlogq[s] * lq[s];
    return v;
  };
  std::vector<double> g(P);
  q.backward(eps.data(), dz.data(), dlogq.data(), S, 1.0, g.data());
  for (int64_t i = 0; i < P; ++i) {
    auto plus = q.clone(), minus = q.clone();
    plus->params()[i] += 1e-6;
    minus->params()[i] -= 1e-6;
    const double fd = (f(*plus) - f(*minus)) / 2e-6;
    EXPECT_NEAR(g[i], fd, 1e-6 * std::max(1.0, std::abs(fd))) << q.param_name(i);
  }
}

/// mu ~ N(0, 1), x_i ~ N(mu, 1) for 20 observations around 1: posterior N(sum x / 21, 1/21).
struct SmallConjugate {
  Model m;
  double post_mean = 0, post_sd = 0;
  SmallConjugate() {
    const int64_t n = 20;
    Tensor x = Philox(5).normal(DType::f64, {n}, 0, 0);
    double sx = 0;
    for (int64_t i = 0; i < n; ++i) {
      x.set(i, 1.0 + x[i]);
      sx += x[i];
    }
    Expr mu = m.normal("mu", 0.0, 1.0);
    m.normal_likelihood("x", mu, 1.0, m.data("x_obs", x));
    post_mean = sx / (n + 1.0);
    post_sd = std::sqrt(1.0 / (n + 1.0));
  }
};

}  // namespace elbo::testing
