#pragma once
// Per-column centring and scaling, like sklearn.preprocessing.StandardScaler / scale.
#include <vector>

#include "elbo/data/dataset.hpp"
#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo::data {

/// Learns each column's mean and population standard deviation (divisor N, as
/// sklearn.preprocessing.scale) and maps z = (x - mean) / sd. A constant column (sd 0, or
/// sd below 10 eps |mean| from rounding) gets sd = 1, as scikit-learn does, so it maps to 0
/// instead of dividing by zero.
class Standardizer {
 public:
  Standardizer() = default;
  /// A fitted one from stored statistics (a model file's). Throws InvalidArgument unless
  /// they have the same length and every sd is positive and finite.
  Standardizer(std::vector<double> mean, std::vector<double> sd);

  /// Fits on x [N, F]. Throws ShapeError unless x has rank 2 and N >= 1, NumericalError if
  /// a value is NaN or infinite (naming its row and column).
  static Standardizer fit(const Tensor& x);

  /// (x - mean) / sd per column; x [M, F] with the fitted F; same dtype as x.
  Tensor transform(const Tensor& x) const;
  /// z * sd + mean per column; the inverse of transform.
  Tensor inverse_transform(const Tensor& z) const;

  const std::vector<double>& mean() const { return mean_; }
  /// The scale used (1 for constant columns).
  const std::vector<double>& sd() const { return sd_; }
  int64_t columns() const { return static_cast<int64_t>(mean_.size()); }

 private:
  Tensor apply(const Tensor& x, bool inverse, const char* who) const;
  std::vector<double> mean_;
  std::vector<double> sd_;
};

/// A copy of `dataset` with x standardised column by column (y untouched), like the
/// tutorial's `scale(X)`.
Dataset standardize(const Dataset& dataset);

}  // namespace elbo::data
ELBO_API_END
