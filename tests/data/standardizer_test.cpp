#include "elbo/data/standardizer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "data/test_files.hpp"
#include "elbo/data/make_moons.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::data {
namespace {

using test::thrown_message;

void expect_column_moments(const Tensor& z, int64_t c, double mean, double sd) {
  const int64_t n = z.dim(0), f = z.dim(1);
  double s = 0, s2 = 0;
  for (int64_t r = 0; r < n; ++r) s += z[r * f + c];
  const double m = s / n;
  for (int64_t r = 0; r < n; ++r) s2 += (z[r * f + c] - m) * (z[r * f + c] - m);
  EXPECT_NEAR(m, mean, 1e-12) << "column " << c;
  EXPECT_NEAR(std::sqrt(s2 / n), sd, 1e-12) << "column " << c;
}

TEST(standardizer, gives_each_column_mean_0_and_population_sd_1) {
  Tensor x(DType::f64, {4, 2}, {1, 10, 2, 20, 3, 30, 4, 1000});
  auto s = Standardizer::fit(x);
  EXPECT_DOUBLE_EQ(s.mean()[0], 2.5);
  EXPECT_DOUBLE_EQ(s.sd()[0], std::sqrt(1.25));  // divisor N, like sklearn's scale
  Tensor z = s.transform(x);
  expect_column_moments(z, 0, 0.0, 1.0);
  expect_column_moments(z, 1, 0.0, 1.0);
}

TEST(standardizer, inverse_transform_undoes_transform) {
  auto moons = make_moons({.n_samples = 100, .noise = 0.3, .seed = 2});
  auto s = Standardizer::fit(moons.x);
  Tensor back = s.inverse_transform(s.transform(moons.x));
  for (int64_t i = 0; i < moons.x.numel(); ++i) EXPECT_NEAR(back[i], moons.x[i], 1e-13);
}

TEST(standardizer, maps_a_constant_column_to_zero_instead_of_dividing_by_zero) {
  // 0.1 three times has a computed mean of 0.10000000000000002: rounding must not turn the
  // tiny spread into +-1 values either.
  Tensor x(DType::f64, {3, 3}, {5, 0.1, 1, 5, 0.1, 2, 5, 0.1, 3});
  auto s = Standardizer::fit(x);
  EXPECT_EQ(s.sd()[0], 1.0);
  EXPECT_EQ(s.sd()[1], 1.0);
  Tensor z = s.transform(x);
  for (int64_t r = 0; r < 3; ++r) {
    EXPECT_EQ(z.at({r, 0}), 0.0);
    EXPECT_EQ(z.at({r, 1}), 0.0);
  }
  expect_column_moments(z, 2, 0.0, 1.0);
}

TEST(standardizer, keeps_float32_input_float32) {
  Tensor x(DType::f32, {3, 1}, {1, 2, 3});
  Tensor z = Standardizer::fit(x).transform(x);
  EXPECT_EQ(z.dtype(), DType::f32);
  EXPECT_FLOAT_EQ(static_cast<float>(z[0]), static_cast<float>(-std::sqrt(1.5)));
}

TEST(standardizer, standardize_scales_x_and_keeps_y_and_names) {
  auto moons = make_moons({.n_samples = 200, .noise = 0.2, .seed = 4});
  auto scaled = standardize(moons);
  expect_column_moments(scaled.x, 0, 0.0, 1.0);
  expect_column_moments(scaled.x, 1, 0.0, 1.0);
  EXPECT_EQ(scaled.y.to_vector(), moons.y.to_vector());
  EXPECT_EQ(scaled.feature_names, moons.feature_names);
  EXPECT_EQ(scaled.target_name, moons.target_name);
}

TEST(standardizer, names_bad_shapes_and_non_finite_values) {
  EXPECT_EQ(thrown_message<ShapeError>([] { Standardizer::fit(Tensor(DType::f64, {3}, {1, 2, 3})); }),
            "Standardizer::fit: argument 'x' has shape [3], but must be [rows, columns]");
  EXPECT_EQ(thrown_message<ShapeError>([] { Standardizer::fit(Tensor(DType::f64, {0, 2})); }),
            "Standardizer::fit: argument 'x' has 0 rows, but needs at least 1");
  EXPECT_EQ(thrown_message<NumericalError>(
                [] { Standardizer::fit(Tensor(DType::f64, {2, 2}, {1, 2, 3, NAN})); }),
            "Standardizer::fit: argument 'x' has nan at row 1, column 1; values must be finite");
  auto s = Standardizer::fit(Tensor(DType::f64, {2, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(thrown_message<ShapeError>([&] { s.transform(Tensor(DType::f64, {2, 3})); }),
            "Standardizer::transform: argument 'x' has shape [2,3], but must be [rows, 2]");
  EXPECT_EQ(thrown_message<InvalidArgument>([] { Standardizer().transform(Tensor(DType::f64, {2, 3})); }),
            "Standardizer::transform: the Standardizer is not fitted");
}

TEST(standardizer, from_stored_statistics_transforms_as_the_fitted_one) {
  Tensor x(DType::f64, {3, 2}, {1, 10, 2, 20, 4, 60});
  Standardizer fitted = Standardizer::fit(x);
  Standardizer stored(fitted.mean(), fitted.sd());
  Tensor a = fitted.transform(x), b = stored.transform(x);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(a[i], b[i]) << i;
  EXPECT_THROW(Standardizer({0, 1}, {1}), InvalidArgument);
  EXPECT_THROW(Standardizer({0}, {0}), InvalidArgument);
}

}  // namespace
}  // namespace elbo::data
