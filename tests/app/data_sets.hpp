#pragma once
// Small data sets the app tests fit, written as CSV files.
#include <cmath>
#include <string>
#include <vector>

#include "elbo/data/csv.hpp"
#include "elbo/data/make_moons.hpp"
#include "elbo/graph/random.hpp"

namespace elbo::app_test {

/// make_moons(noise 0.2) with columns x1, x2, y.
inline void write_moons(const std::string& path, int64_t rows, uint64_t seed) {
  auto moons = data::make_moons({.n_samples = rows, .noise = 0.2, .seed = seed});
  Tensor t(DType::f64, {rows, 3});
  for (int64_t r = 0; r < rows; ++r) {
    t.set(r * 3, moons.x[r * 2]);
    t.set(r * 3 + 1, moons.x[r * 2 + 1]);
    t.set(r * 3 + 2, moons.y[r]);
  }
  data::write_csv(path, {"x1", "x2", "y"}, t);
}

/// Three Gaussian blobs of sd 0.5 at the corners of a triangle of side ~2.6, raw units
/// shifted and scaled (a, b) = (10 + 3 u, -5 + 0.5 v) so that standardisation matters;
/// columns a, label, b (the target in the middle).
inline void write_blobs(const std::string& path, int64_t rows, uint64_t seed) {
  Philox rng(seed);
  Tensor noise = rng.normal(DType::f64, {rows, 2}, 1, 0);
  const double cx[3] = {0.0, 1.5, -1.5}, cy[3] = {1.7, -0.9, -0.9};
  Tensor t(DType::f64, {rows, 3});
  for (int64_t r = 0; r < rows; ++r) {
    int k = static_cast<int>(r % 3);
    double u = cx[k] + 0.5 * noise[r * 2], v = cy[k] + 0.5 * noise[r * 2 + 1];
    t.set(r * 3, 10 + 3 * u);
    t.set(r * 3 + 1, k);
    t.set(r * 3 + 2, -5 + 0.5 * v);
  }
  data::write_csv(path, {"a", "label", "b"}, t);
}

/// y = 3 + 2 sin(x) + N(0, noise_sd^2), x uniform on [-3, 3]; columns x, y. With
/// `outlier` > 0, every tenth row is an outlier shifted by -outlier, +outlier alternately.
inline void write_sine(const std::string& path, int64_t rows, double noise_sd, uint64_t seed, double outlier = 0) {
  Philox rng(seed);
  Tensor u = rng.uniform(DType::f64, {rows}, 2, 0);
  Tensor e = rng.normal(DType::f64, {rows}, 3, 0);
  Tensor t(DType::f64, {rows, 2});
  for (int64_t r = 0; r < rows; ++r) {
    double x = -3 + 6 * u[r];
    t.set(r * 2, x);
    double shift = r % 10 == 0 ? ((r / 10) % 2 ? outlier : -outlier) : 0.0;
    t.set(r * 2 + 1, 3 + 2 * std::sin(x) + noise_sd * e[r] + shift);
  }
  data::write_csv(path, {"x", "y"}, t);
}

/// The rate of write_counts: exp(1 + 0.8 sin(x1) + 0.3 x2).
inline double count_rate(double x1, double x2) { return std::exp(1 + 0.8 * std::sin(x1) + 0.3 * x2); }

/// Counts y ~ Poisson(count_rate(x1, x2)), x1 uniform on [-3, 3], x2 uniform on [-1, 1],
/// drawn by inversion; columns x1, x2, y.
inline void write_counts(const std::string& path, int64_t rows, uint64_t seed) {
  Philox rng(seed);
  Tensor u = rng.uniform(DType::f64, {rows, 3}, 4, 0);
  Tensor t(DType::f64, {rows, 3});
  for (int64_t r = 0; r < rows; ++r) {
    double x1 = -3 + 6 * u[r * 3], x2 = -1 + 2 * u[r * 3 + 1], rate = count_rate(x1, x2);
    double p = std::exp(-rate), cdf = p, k = 0;
    while (u[r * 3 + 2] > cdf && k < 1000) p *= rate / ++k, cdf += p;
    t.set(r * 3, x1);
    t.set(r * 3 + 1, x2);
    t.set(r * 3 + 2, k);
  }
  data::write_csv(path, {"x1", "x2", "y"}, t);
}

}  // namespace elbo::app_test
