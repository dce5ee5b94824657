#pragma once
// The Stein variational gradient direction (Liu & Wang 2016, SVGD; PyMC's Stein with an
// RBF kernel): for particles x_1..x_n and g_j = grad log p(x_j),
//   phi(x_i) = 1/n sum_j [ k(x_j, x_i) g_j / T + grad_{x_j} k(x_j, x_i) ],
//   k(x, y) = exp(-|x - y|^2 / h),  h = median_{i<j} |x_i - x_j|^2 / log(n + 1)
// (the median heuristic; h = 1 when every particle coincides). T is the temperature:
// above 1 it weakens the pull of log p against the particles' repulsion (PyMC's SVGD
// temperature). The first term drives the particles to high density, the second keeps them
// apart.
#include <cstdint>
#include <vector>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Working memory of stein_direction, kept between calls so steps do not allocate.
struct SteinScratch {
  std::vector<double> sq, k, pairs;
};

/// Writes phi [n, D] for particles x [n, D] and gradients g [n, D]; returns the bandwidth h.
double stein_direction(const double* x, const double* g, int64_t n, int64_t d, double temperature, double* phi,
                       SteinScratch& scratch);

}  // namespace elbo
ELBO_API_END
