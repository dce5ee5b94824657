// The vector elementary functions (src/graph/simd_math.hpp) against libm, and the
// vectorised normal draws (src/graph/normal_draws.hpp) against their scalar reference at
// every instruction-set level this build and CPU have.
//
// Tolerances: libm's log, exp, log1p, sin and cos are within 1 ulp of the exact values
// (glibc's documented bounds are 1 ulp or better for these on x86-64), so "within 2 ulp of
// libm" below means within 3 ulp of exact at worst, for the functions documented as within
// 1-2 ulp. The inputs are 10^6 seeded points spread over each domain in log scale where the
// domain spans orders of magnitude.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "elbo/graph.hpp"
#include "graph/isa.hpp"
#include "graph/normal_draws.hpp"
#include "graph/simd_math.hpp"

namespace elbo {
namespace {

// Distance in units in the last place between two finite doubles of the same sign.
int64_t ulps(double a, double b) {
  if (a == b) return 0;
  const int64_t ia = std::bit_cast<int64_t>(a), ib = std::bit_cast<int64_t>(b);
  return ia > ib ? ia - ib : ib - ia;
}

int64_t ulps_f(float a, float b) {
  if (a == b) return 0;
  const int32_t ia = std::bit_cast<int32_t>(a), ib = std::bit_cast<int32_t>(b);
  return ia > ib ? static_cast<int64_t>(ia) - ib : static_cast<int64_t>(ib) - ia;
}

// Seeded points: u in (0, 1) from Philox, mapped by `to`.
template <class F>
std::vector<double> points(int64_t n, uint64_t stream, F to) {
  std::vector<double> u(static_cast<size_t>(n));
  Philox(2026).uniform(u.data(), n, stream, 0);
  for (double& x : u) x = to(x);
  return u;
}

// f on four lanes at a time (vf: four in, four out) must equal f on one lane (bit for bit), and be within
// `max_ulps` of libm's g.
template <class Vf, class Sf, class G>
void check_function(const std::vector<double>& xs, Vf vf, Sf sf, G g, int64_t max_ulps, const char* name) {
  int64_t worst = 0;
  double worst_x = 0;
  for (size_t i = 0; i + 4 <= xs.size(); i += 4) {
    double v[4];
    vf(&xs[i], v);
    for (int j = 0; j < 4; ++j) {
      const double x = xs[i + j], s = sf(x);
      ASSERT_EQ(std::bit_cast<uint64_t>(v[j]), std::bit_cast<uint64_t>(s)) << name << " at " << x;
      const int64_t d = ulps(s, g(x));
      if (d > worst) worst = d, worst_x = x;
    }
  }
  EXPECT_LE(worst, max_ulps) << name << ": worst at x = " << worst_x;
}

TEST(simd_math, log_positive_is_within_1_ulp_of_libm_over_the_normal_range) {
  // log-uniform over [2^-1021, 2^1023], then near 1 (where log is small and cancellation
  // would show) and around sqrt(2) (the reduction's switch).
  auto xs = points(1'000'000, 0, [](double u) { return std::exp2(-1021 + 2044 * u); });
  auto near1 = points(200'000, 1, [](double u) { return 1 + (u - 0.5) * 1e-3; });
  auto near_sqrt2 = points(200'000, 2, [](double u) { return std::sqrt(2.0) * (1 + (u - 0.5) * 1e-9); });
  xs.insert(xs.end(), near1.begin(), near1.end());
  xs.insert(xs.end(), near_sqrt2.begin(), near_sqrt2.end());
  xs.push_back(1.0);
  xs.push_back(std::numeric_limits<double>::min());
  xs.push_back(std::numeric_limits<double>::max());
  xs.push_back(0.5);
  check_function(
      xs, [](const double* x, double* y) { simd::store4(y, simd::log_positive(simd::load4(x))); }, [](double x) { return simd::log_positive(x); },
      [](double x) { return std::log(x); }, 1, "log_positive");
}

TEST(simd_math, exp_bounded_is_within_1_ulp_of_libm_on_its_domain) {
  auto xs = points(1'000'000, 3, [](double u) { return -708 + 1416 * u; });
  auto small = points(200'000, 4, [](double u) { return (u - 0.5) * 1e-6; });
  xs.insert(xs.end(), small.begin(), small.end());
  for (double x : {0.0, 708.0, -708.0, 0.5 * std::log(2.0), -0.5 * std::log(2.0)}) xs.push_back(x);
  while (xs.size() % 4) xs.push_back(1.0);
  check_function(
      xs, [](const double* x, double* y) { simd::store4(y, simd::exp_bounded(simd::load4(x))); }, [](double x) { return simd::exp_bounded(x); },
      [](double x) { return std::exp(x); }, 1, "exp_bounded");
}

TEST(simd_math, log1p_unit_is_within_2_ulp_of_libm_on_zero_to_one) {
  auto xs = points(1'000'000, 5, [](double u) { return std::exp2(-1000 * u); });
  for (double x : {0.0, 1.0, 1e-300, 0x1p-53, 0x1p-52}) xs.push_back(x);
  while (xs.size() % 4) xs.push_back(0.25);
  check_function(
      xs, [](const double* x, double* y) { simd::store4(y, simd::log1p_unit(simd::load4(x))); }, [](double x) { return simd::log1p_unit(x); },
      [](double x) { return std::log1p(x); }, 2, "log1p_unit");
}

TEST(simd_math, sincos_2pi_is_within_2e_16_of_libm_on_zero_to_one) {
  // Absolute error: near the zeros of sin and cos the relative error of any method that
  // rounds 2 pi u is unbounded, and Box-Muller multiplies by a radius, so absolute error
  // is what reaches the draws. libm's own sin(2 pi u) carries the rounding of 2 pi u
  // (up to 4.4e-16 at u = 1), so the comparison is with long double.
  auto us = points(1'000'000, 6, [](double u) { return u; });
  for (double u : {0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0}) us.push_back(u);
  while (us.size() % 4) us.push_back(0.3);
  double worst = 0, worst_u = 0;
  for (size_t i = 0; i + 4 <= us.size(); i += 4) {
    simd::F64x4 vs, vc;
    simd::sincos_2pi(simd::load4(&us[i]), vs, vc);
    for (int j = 0; j < 4; ++j) {
      const double u = us[i + j];
      double s, c;
      simd::sincos_2pi(u, s, c);
      ASSERT_EQ(std::bit_cast<uint64_t>(vs[j]), std::bit_cast<uint64_t>(s)) << u;
      ASSERT_EQ(std::bit_cast<uint64_t>(vc[j]), std::bit_cast<uint64_t>(c)) << u;
      const long double th = 2 * 3.141592653589793238462643383279502884L * static_cast<long double>(u);
      const double e = static_cast<double>(std::max(std::fabs(s - sinl(th)), std::fabs(c - cosl(th))));
      if (e > worst) worst = e, worst_u = u;
    }
  }
  EXPECT_LE(worst, 2e-16) << "worst at u = " << worst_u;
}

// Single precision: eight lanes against one, and against libm's double function rounded to
// float (the correctly rounded float result but for double rounding, 1e-9 of the cases).
template <class Vf, class Sf, class G>
void check_function_f32(const std::vector<double>& xs, Vf vf, Sf sf, G g, int64_t max_ulps, const char* name) {
  std::vector<float> x32(xs.begin(), xs.end());
  while (x32.size() % 8) x32.push_back(x32.front());
  int64_t worst = 0;
  float worst_x = 0;
  for (size_t i = 0; i < x32.size(); i += 8) {
    float v[8];
    vf(&x32[i], v);
    for (int j = 0; j < 8; ++j) {
      const float x = x32[i + j], s = sf(x);
      ASSERT_EQ(std::bit_cast<uint32_t>(v[j]), std::bit_cast<uint32_t>(s)) << name << " at " << x;
      const int64_t d = ulps_f(s, static_cast<float>(g(static_cast<double>(x))));
      if (d > worst) worst = d, worst_x = x;
    }
  }
  EXPECT_LE(worst, max_ulps) << name << ": worst at x = " << worst_x;
}

TEST(simd_math, single_precision_functions_are_within_a_few_float_ulp) {
  auto logs = points(1'000'000, 10, [](double u) { return std::exp2(-125 + 252 * u); });
  auto near1 = points(100'000, 11, [](double u) { return 1 + (u - 0.5) * 1e-2; });
  logs.insert(logs.end(), near1.begin(), near1.end());
  check_function_f32(
      logs, [](const float* x, float* y) { simd::store8(y, simd::log_positive_f32(simd::load8(x))); },
      [](float x) { return simd::log_positive_f32(x); }, [](double x) { return std::log(x); }, 2, "log_positive_f32");
  auto exps = points(1'000'000, 12, [](double u) { return -87 + 174 * u; });
  check_function_f32(
      exps, [](const float* x, float* y) { simd::store8(y, simd::exp_bounded_f32(simd::load8(x))); },
      [](float x) { return simd::exp_bounded_f32(x); }, [](double x) { return std::exp(x); }, 2, "exp_bounded_f32");
  auto l1p = points(1'000'000, 13, [](double u) { return std::exp2(-120 * u); });
  l1p.push_back(0.0);
  l1p.push_back(1.0);
  check_function_f32(
      l1p, [](const float* x, float* y) { simd::store8(y, simd::log1p_unit_f32(simd::load8(x))); },
      [](float x) { return simd::log1p_unit_f32(x); }, [](double x) { return std::log1p(x); }, 3, "log1p_unit_f32");
}

TEST(simd_math, single_precision_sincos_is_within_1_2e_7_absolute) {
  auto rs = points(200'000, 14, [](double u) { return (u - 0.5) / 4; });
  for (double r : {-0.125, 0.125, 0.0}) rs.push_back(r);
  double worst = 0;
  for (int32_t q = 0; q <= 4; ++q)
    for (double r : rs) {
      float s, c;
      simd::sincos_2pi_reduced_f32(static_cast<float>(r), q, s, c);
      const long double th = 2 * 3.141592653589793238462643383279502884L *
                             (q / 4.0L + static_cast<long double>(static_cast<float>(r)));
      worst = std::max({worst, static_cast<double>(std::fabs(s - sinl(th))), static_cast<double>(std::fabs(c - cosl(th)))});
    }
  EXPECT_LE(worst, 1.2e-7);
}

TEST(normal_draws, every_level_gives_the_scalar_references_bits) {
  // Runs of every length up to 40 pairs and a few longer ones (more than one chunk of 64
  // blocks) from several starting pairs (the vector kernels work on 4, 8 and 16 pairs; the
  // tails take the other paths), two seeds and streams.
  std::vector<int64_t> lengths;
  for (int64_t n = 1; n <= 40; ++n) lengths.push_back(n);
  for (int64_t n : {127, 128, 129, 200, 517}) lengths.push_back(n);
  for (isa::Level level : {isa::Level::baseline, isa::Level::avx2, isa::Level::avx512}) {
    if (!isa::available(level)) continue;
    for (uint64_t seed : {uint64_t{0}, uint64_t{0x123456789abcdefULL}})
      for (uint32_t first : {0u, 1u, 7u, 1000u, 4294967000u})
        for (int64_t n : lengths) {
          if (first + n > (int64_t{1} << 32)) continue;  // pair indices are 32 bits (Philox::normal)
          std::vector<double> got(static_cast<size_t>(2 * n));
          std::vector<float> got32(static_cast<size_t>(2 * n));
          detail::normal_pairs(level, seed, 3, 99, first, n, got.data());
          detail::normal_pairs(level, seed, 3, 99, first, n, got32.data());
          for (int64_t p = 0; p < n; ++p) {
            double ref[2];
            float ref32[2];
            detail::normal_pair_reference(seed, 3, 99, static_cast<uint32_t>(first + p), ref);
            detail::normal_pair_reference(seed, 3, 99, static_cast<uint32_t>(first + p), ref32);
            for (int k = 0; k < 2; ++k) {
              ASSERT_EQ(std::bit_cast<uint64_t>(got[2 * p + k]), std::bit_cast<uint64_t>(ref[k]))
                  << isa::name(level) << " pair " << first + p;
              ASSERT_EQ(std::bit_cast<uint32_t>(got32[2 * p + k]), std::bit_cast<uint32_t>(ref32[k]))
                  << isa::name(level) << " pair " << first + p << " (float)";
            }
          }
        }
  }
}

TEST(normal_draws, the_reference_is_box_muller_of_the_philox_uniforms) {
  // Philox::uniform's draws 2p and 2p + 1 are pair p's u1 and u2: Box-Muller with libm
  // from them agrees with the reference to 1e-14 absolute (the radius reaches 8.5, where an
  // ulp is 1.8e-15, and the vector log and sincos differ from libm by an ulp or so).
  const Philox rng(5);
  std::vector<double> u(2000);
  rng.uniform(u.data(), 2000, 8, 4);
  double worst = 0;
  for (uint32_t p = 0; p < 1000; ++p) {
    double ref[2];
    detail::normal_pair_reference(5, 8, 4, p, ref);
    const double rad = std::sqrt(-2 * std::log(u[2 * p])), th = 2 * M_PI * u[2 * p + 1];
    worst = std::max({worst, std::fabs(ref[0] - rad * std::cos(th)), std::fabs(ref[1] - rad * std::sin(th))});
  }
  EXPECT_LE(worst, 1e-14);
}

TEST(normal_draws, single_precision_draws_have_the_normal_law) {
  // 2 x 10^6 float draws: mean within 0.005 and sd within 0.005 of 0 and 1 (5 standard
  // errors: se(mean) = 7e-4, se(sd) = 5e-4), the fraction beyond 3 sd within 5 standard
  // errors of 0.0027, and none beyond the radius bound 6.66.
  const int64_t n = 2'000'000;
  std::vector<float> f(static_cast<size_t>(n));
  detail::normal_pairs(9, 1, 2, 0, n / 2, f.data());
  double sum = 0, sq = 0;
  int64_t tail = 0;
  float largest = 0;
  for (float x : f) {
    sum += x;
    sq += static_cast<double>(x) * x;
    tail += std::fabs(x) > 3;
    largest = std::max(largest, std::fabs(x));
  }
  const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  EXPECT_NEAR(mean, 0, 0.005);
  EXPECT_NEAR(sd, 1, 0.005);
  const double p3 = 0.0026997960632601866, se3 = std::sqrt(p3 * (1 - p3) / n);
  EXPECT_NEAR(static_cast<double>(tail) / n, p3, 5 * se3);
  EXPECT_LE(largest, 6.67f);
}

}  // namespace
}  // namespace elbo

