#pragma once
// Two interleaving half circles, the data set of the PyMC3 BNN tutorial.
#include <cstdint>

#include "elbo/data/dataset.hpp"
#include "elbo/export.hpp"
#include "elbo/graph/dtype.hpp"

ELBO_API_BEGIN
namespace elbo::data {

struct MoonsOptions {
  int64_t n_samples = 100;  ///< total points; n/2 (floor) on the outer moon, the rest inner
  double noise = 0.0;       ///< standard deviation of Gaussian noise added to each coordinate
  uint64_t seed = 0;        ///< Philox key: same seed, same data on every machine
  bool shuffle = true;      ///< shuffle the rows (before the noise is added, as scikit-learn does)
  DType dtype = DType::f64; ///< dtype of x and y
};

/// scikit-learn's make_moons geometry. With t_i = linspace(0, pi, n):
///   outer moon (label 0): (cos t, sin t),               n_out = floor(n / 2) points
///   inner moon (label 1): (1 - cos t, 1 - sin t - 0.5), n_in  = n - n_out points
/// Returns x [n_samples, 2] (feature names "x1", "x2") and y [n_samples] (target "y").
/// The random numbers come from elbo::Philox, so the geometry matches scikit-learn exactly
/// but the noise and the shuffle order cannot match numpy's generator for the same seed.
/// Throws InvalidArgument if n_samples < 1 or noise is negative or not finite.
Dataset make_moons(const MoonsOptions& options = {});

}  // namespace elbo::data
ELBO_API_END
