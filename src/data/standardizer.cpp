#include "elbo/data/standardizer.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "elbo/graph/error.hpp"

namespace elbo::data {

Standardizer Standardizer::fit(const Tensor& x) {
  if (x.rank() != 2)
    throw ShapeError("Standardizer::fit: argument 'x' has shape " + shape_str(x.shape()) +
                     ", but must be [rows, columns]");
  const int64_t n = x.dim(0), f = x.dim(1);
  if (n < 1) throw ShapeError("Standardizer::fit: argument 'x' has 0 rows, but needs at least 1");
  Standardizer s;
  s.mean_.assign(static_cast<size_t>(f), 0.0);
  s.sd_.assign(static_cast<size_t>(f), 1.0);
  for (int64_t c = 0; c < f; ++c) {
    // Two passes: the mean, then squared deviations from it (stable for large offsets).
    double sum = 0.0;
    bool constant = true;
    const double first = x[c];
    for (int64_t r = 0; r < n; ++r) {
      const double v = x[r * f + c];
      if (!std::isfinite(v))
        throw NumericalError("Standardizer::fit: argument 'x' has " + std::to_string(v) +
                             " at row " + std::to_string(r) + ", column " + std::to_string(c) +
                             "; values must be finite");
      sum += v;
      constant = constant && v == first;
    }
    const double mean = sum / static_cast<double>(n);
    double ss = 0.0;
    for (int64_t r = 0; r < n; ++r) {
      const double d = x[r * f + c] - mean;
      ss += d * d;
    }
    const double sd = std::sqrt(ss / static_cast<double>(n));
    const auto k = static_cast<size_t>(c);
    if (constant) {
      s.mean_[k] = first;  // exactly, so the column maps to exact zeros
      s.sd_[k] = 1.0;
    } else {
      s.mean_[k] = mean;
      // scikit-learn's rule: a scale that is zero up to rounding is replaced by 1.
      const double eps = std::numeric_limits<double>::epsilon();
      s.sd_[k] = sd <= 10.0 * eps * std::abs(mean) || sd == 0.0 ? 1.0 : sd;
    }
  }
  return s;
}

Standardizer::Standardizer(std::vector<double> mean, std::vector<double> sd) : mean_(std::move(mean)), sd_(std::move(sd)) {
  if (mean_.size() != sd_.size())
    throw InvalidArgument("Standardizer: " + std::to_string(mean_.size()) + " means but " +
                          std::to_string(sd_.size()) + " standard deviations");
  for (size_t i = 0; i < sd_.size(); ++i)
    if (!(sd_[i] > 0) || !std::isfinite(sd_[i]) || !std::isfinite(mean_[i]))
      throw InvalidArgument("Standardizer: column " + std::to_string(i) + " has mean " + std::to_string(mean_[i]) +
                            " and sd " + std::to_string(sd_[i]) + "; the sd must be positive and both finite");
}

Tensor Standardizer::apply(const Tensor& x, bool inverse, const char* who) const {
  if (mean_.empty()) throw InvalidArgument(std::string(who) + ": the Standardizer is not fitted");
  if (x.rank() != 2 || x.dim(1) != columns())
    throw ShapeError(std::string(who) + ": argument 'x' has shape " + shape_str(x.shape()) +
                     ", but must be [rows, " + std::to_string(columns()) + "]");
  Tensor out(x.dtype(), x.shape());
  const int64_t n = x.dim(0), f = x.dim(1);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < f; ++c) {
      const auto k = static_cast<size_t>(c);
      const double v = x[r * f + c];
      out.set(r * f + c, inverse ? v * sd_[k] + mean_[k] : (v - mean_[k]) / sd_[k]);
    }
  return out;
}

Tensor Standardizer::transform(const Tensor& x) const {
  return apply(x, false, "Standardizer::transform");
}

Tensor Standardizer::inverse_transform(const Tensor& z) const {
  return apply(z, true, "Standardizer::inverse_transform");
}

Dataset standardize(const Dataset& dataset) {
  Dataset out = dataset;
  out.x = Standardizer::fit(dataset.x).transform(dataset.x);
  return out;
}

}  // namespace elbo::data
