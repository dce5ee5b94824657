// Counter-based random numbers: a pure function of (seed, stream, counter, position).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "elbo/graph.hpp"

namespace elbo {
namespace {

template <class T>
std::vector<T> normals(const Philox& rng, int64_t n, uint64_t stream, uint64_t counter) {
  std::vector<T> v(static_cast<size_t>(n));
  rng.normal(v.data(), n, stream, counter);
  return v;
}
template <class T>
std::vector<T> uniforms(const Philox& rng, int64_t n, uint64_t stream, uint64_t counter) {
  std::vector<T> v(static_cast<size_t>(n));
  rng.uniform(v.data(), n, stream, counter);
  return v;
}

TEST(philox, same_seed_stream_and_counter_give_the_same_values) {
  Philox a(42), b(42);
  EXPECT_EQ(a.seed(), 42u);
  EXPECT_EQ(normals<double>(a, 1001, 3, 17), normals<double>(b, 1001, 3, 17));
  EXPECT_EQ(normals<float>(a, 1001, 3, 17), normals<float>(b, 1001, 3, 17));
  EXPECT_EQ(uniforms<double>(a, 1001, 3, 17), uniforms<double>(b, 1001, 3, 17));
  std::vector<uint32_t> ba(33), bb(33);
  a.bits(ba.data(), 33, 5, 6);
  b.bits(bb.data(), 33, 5, 6);
  EXPECT_EQ(ba, bb);
  Tensor ta = a.normal(DType::f64, {4, 5}, 1, 2), tb = b.normal(DType::f64, {4, 5}, 1, 2);
  EXPECT_EQ(ta.shape(), (Shape{4, 5}));
  EXPECT_EQ(ta.to_vector(), tb.to_vector());
  EXPECT_EQ(ta.to_vector(), normals<double>(a, 20, 1, 2));
}

TEST(philox, draws_do_not_depend_on_how_many_are_taken) {
  // Position i of a call is the same whatever n is, so a shorter call is a prefix.
  Philox rng(7);
  auto longer = normals<double>(rng, 100, 0, 0);
  auto shorter = normals<double>(rng, 37, 0, 0);
  EXPECT_EQ(std::vector<double>(longer.begin(), longer.begin() + 37), shorter);
  auto ul = uniforms<float>(rng, 100, 0, 0), us = uniforms<float>(rng, 9, 0, 0);
  EXPECT_EQ(std::vector<float>(ul.begin(), ul.begin() + 9), us);
}

TEST(philox, normals_drawn_in_parts_equal_one_call) {
  // Every split point, odd and even: the parts are the one call's values, bitwise.
  Philox rng(11);
  auto whole = normals<double>(rng, 41, 3, 5);
  for (int64_t first = 0; first <= 41; ++first) {
    std::vector<double> parts(41);
    rng.normal(parts.data(), first, 3, 5, 0);
    rng.normal(parts.data() + first, 41 - first, 3, 5, first);
    EXPECT_EQ(parts, whole) << "split at " << first;
  }
  std::vector<float> one(7), f(7);
  rng.normal(one.data(), 7, 1, 2);
  rng.normal(f.data(), 3, 1, 2, 0);
  rng.normal(f.data() + 3, 4, 1, 2, 3);
  EXPECT_EQ(f, one);
}

TEST(philox, different_seeds_streams_and_counters_differ) {
  Philox a(1), b(2);
  auto base = normals<double>(a, 64, 0, 0);
  auto differs_everywhere = [&](const std::vector<double>& other) {
    int equal = 0;
    for (size_t i = 0; i < base.size(); ++i) equal += base[i] == other[i];
    return equal == 0;
  };
  EXPECT_TRUE(differs_everywhere(normals<double>(b, 64, 0, 0)));
  EXPECT_TRUE(differs_everywhere(normals<double>(a, 64, 1, 0)));
  EXPECT_TRUE(differs_everywhere(normals<double>(a, 64, 0, 1)));
  // The high halves of the 64-bit seed and counter matter too.
  EXPECT_TRUE(differs_everywhere(normals<double>(Philox(1 + (uint64_t{1} << 32)), 64, 0, 0)));
  EXPECT_TRUE(differs_everywhere(normals<double>(a, 64, 0, uint64_t{1} << 32)));
}

TEST(philox, uniforms_lie_in_the_open_unit_interval_with_mean_one_half) {
  // Mean of n uniforms has standard error 1/sqrt(12 n); we accept 5 standard errors.
  const int64_t n = 100000;
  Philox rng(2024);
  auto u = uniforms<double>(rng, n, 0, 0);
  double sum = 0;
  for (double v : u) {
    ASSERT_GT(v, 0.0);
    ASSERT_LT(v, 1.0);
    sum += v;
  }
  EXPECT_NEAR(sum / n, 0.5, 5.0 / std::sqrt(12.0 * n));
  auto f = uniforms<float>(rng, n, 1, 0);
  for (float v : f) {
    ASSERT_GT(v, 0.0f);
    ASSERT_LT(v, 1.0f);
  }
}

TEST(philox, normals_have_mean_zero_and_standard_deviation_one) {
  // Over n = 100000 draws: the mean has standard error 1/sqrt(n) = 0.0032, and the sample
  // variance has standard error sqrt(2/n) = 0.0045 (normal fourth moment 3). We accept 5
  // standard errors for each, so a correct generator fails with probability ~1e-6.
  const int64_t n = 100000;
  for (uint64_t stream : {0u, 1u}) {
    Philox rng(12345);
    auto z = normals<double>(rng, n, stream, 9);
    double sum = 0, sq = 0;
    for (double v : z) {
      ASSERT_TRUE(std::isfinite(v));
      sum += v;
    }
    double mean = sum / n;
    for (double v : z) sq += (v - mean) * (v - mean);
    double var = sq / (n - 1);
    EXPECT_NEAR(mean, 0.0, 5.0 / std::sqrt(double(n))) << "stream " << stream;
    EXPECT_NEAR(var, 1.0, 5.0 * std::sqrt(2.0 / n)) << "stream " << stream;
    // Tails: P(|z| > 2) = 0.0455; binomial standard error sqrt(p(1-p)/n) = 0.00066.
    int64_t tail = 0;
    for (double v : z) tail += std::abs(v) > 2.0;
    EXPECT_NEAR(double(tail) / n, 0.0455, 5.0 * std::sqrt(0.0455 * 0.9545 / n));
  }
}

TEST(philox, float_uniforms_never_round_up_to_one) {
  // float has 24 significand bits: a 53-bit uniform above 1 - 2^-25 rounds to 1.0f. Such
  // draws come about once in 2^25 (3.4e7), so scan enough counters to meet some.
  Philox rng(5);
  const int64_t n = 1 << 20;
  std::vector<float> f(static_cast<size_t>(n));
  std::vector<double> d(static_cast<size_t>(n));
  int64_t near_one = 0;
  for (uint64_t counter = 0; counter < 96; ++counter) {
    rng.uniform(f.data(), n, 0, counter);
    rng.uniform(d.data(), n, 0, counter);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_LT(f[i], 1.0f) << "counter " << counter << " position " << i;
      ASSERT_GT(f[i], 0.0f);
      if (static_cast<float>(d[i]) == 1.0f) {
        ++near_one;
        EXPECT_EQ(f[i], std::nextafter(1.0f, 0.0f));
      }
    }
  }
  EXPECT_GT(near_one, 0) << "no draw came close enough to 1 to test the rounding";
}

}  // namespace
}  // namespace elbo
