#include "elbo/data/make_moons.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "data/test_files.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::data {
namespace {

using test::thrown_message;

TEST(make_moons, has_the_requested_shapes_and_names) {
  auto moons = make_moons({.n_samples = 1000, .noise = 0.2, .seed = 0});
  EXPECT_EQ(moons.x.shape(), (Shape{1000, 2}));
  EXPECT_EQ(moons.y.shape(), (Shape{1000}));
  EXPECT_EQ(moons.rows(), 1000);
  EXPECT_EQ(moons.x.dtype(), DType::f64);
  EXPECT_EQ(moons.feature_names, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(moons.target_name, "y");
}

TEST(make_moons, puts_floor_half_on_the_outer_moon_and_the_rest_inner) {
  for (int64_t n : {1, 2, 7, 1000, 1001}) {
    auto moons = make_moons({.n_samples = n, .noise = 0.1, .seed = 3});
    int64_t ones = 0;
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_TRUE(moons.y[i] == 0.0 || moons.y[i] == 1.0);
      ones += moons.y[i] == 1.0;
    }
    EXPECT_EQ(ones, n - n / 2) << "n_samples " << n;
  }
}

TEST(make_moons, without_noise_lies_exactly_on_the_two_half_circles) {
  auto moons = make_moons({.n_samples = 501, .noise = 0.0, .seed = 5});
  for (int64_t i = 0; i < 501; ++i) {
    const double a = moons.x.at({i, 0}), b = moons.x.at({i, 1});
    EXPECT_GE(a, -1.0 - 1e-15);
    EXPECT_LE(a, 2.0 + 1e-15);
    EXPECT_GE(b, -0.5 - 1e-15);
    EXPECT_LE(b, 1.0 + 1e-15);
    if (moons.y[i] == 0.0) {  // (cos t, sin t)
      EXPECT_NEAR(a * a + b * b, 1.0, 1e-12);
      EXPECT_GE(b, -1e-15);
    } else {  // (1 - cos t, 1 - sin t - 0.5)
      EXPECT_NEAR((a - 1) * (a - 1) + (b - 0.5) * (b - 0.5), 1.0, 1e-12);
      EXPECT_LE(b, 0.5 + 1e-15);
    }
  }
}

TEST(make_moons, unshuffled_follows_scikit_learns_linspace_order) {
  auto moons = make_moons({.n_samples = 5, .shuffle = false});
  // n_out = 2: t = 0, pi; n_in = 3: t = 0, pi/2, pi.
  const double expected[5][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 0.5, 1}, {1, -0.5, 1}, {2, 0.5, 1}};
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(moons.x.at({i, 0}), expected[i][0], 1e-15) << "row " << i;
    EXPECT_NEAR(moons.x.at({i, 1}), expected[i][1], 1e-15) << "row " << i;
    EXPECT_EQ(moons.y[i], expected[i][2]) << "row " << i;
  }
}

TEST(make_moons, noise_has_the_requested_standard_deviation) {
  // Same seed and shuffle=false: the clean points are known, so the residuals are the noise.
  const int64_t n = 5000;
  auto clean = make_moons({.n_samples = n, .shuffle = false});
  auto noisy = make_moons({.n_samples = n, .noise = 0.2, .seed = 11, .shuffle = false});
  double sum = 0, sum2 = 0;
  for (int64_t i = 0; i < 2 * n; ++i) {
    const double d = noisy.x[i] - clean.x[i];
    sum += d;
    sum2 += d * d;
  }
  const double mean = sum / (2 * n), sd = std::sqrt(sum2 / (2 * n) - mean * mean);
  // 10,000 draws: the standard error of the mean is 0.002 and of the sd about 0.0014;
  // the tolerances are five of those.
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(sd, 0.2, 0.007);
}

TEST(make_moons, is_reproducible_from_its_seed_and_differs_between_seeds) {
  auto a = make_moons({.n_samples = 300, .noise = 0.2, .seed = 7});
  auto b = make_moons({.n_samples = 300, .noise = 0.2, .seed = 7});
  auto c = make_moons({.n_samples = 300, .noise = 0.2, .seed = 8});
  EXPECT_EQ(a.x.to_vector(), b.x.to_vector());
  EXPECT_EQ(a.y.to_vector(), b.y.to_vector());
  EXPECT_NE(a.x.to_vector(), c.x.to_vector());
  EXPECT_NE(a.y.to_vector(), c.y.to_vector());  // the shuffle differs too
}

TEST(make_moons, shuffles_the_labels) {
  auto moons = make_moons({.n_samples = 200, .seed = 1});
  int64_t changes = 0;
  for (int64_t i = 1; i < 200; ++i) changes += moons.y[i] != moons.y[i - 1];
  EXPECT_GT(changes, 50);  // unshuffled there is exactly one change
}

TEST(make_moons, gives_float32_when_asked) {
  auto moons = make_moons({.n_samples = 10, .noise = 0.2, .dtype = DType::f32});
  EXPECT_EQ(moons.x.dtype(), DType::f32);
  EXPECT_EQ(moons.y.dtype(), DType::f32);
  auto wide = make_moons({.n_samples = 10, .noise = 0.2});
  for (int64_t i = 0; i < 20; ++i) EXPECT_EQ(moons.x[i], static_cast<float>(wide.x[i]));
}

TEST(make_moons, names_a_bad_argument_and_its_value) {
  EXPECT_EQ(thrown_message<InvalidArgument>([] { make_moons({.n_samples = 0}); }),
            "make_moons: argument 'n_samples' is 0, but must be positive");
  EXPECT_EQ(thrown_message<InvalidArgument>([] { make_moons({.noise = -0.5}); }),
            "make_moons: argument 'noise' is -0.5, but must be finite and non-negative");
  EXPECT_EQ(thrown_message<InvalidArgument>([] { make_moons({.noise = NAN}); }),
            "make_moons: argument 'noise' is nan, but must be finite and non-negative");
}

}  // namespace
}  // namespace elbo::data
