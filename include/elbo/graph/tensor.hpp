#pragma once
// A user-facing dense array: float32 or float64, row-major (C order). Values have rank 0
// to 4; a program's per-sample results add a leading sample dimension (rank 5 at most).
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/dtype.hpp"
#include "elbo/graph/error.hpp"
#include "elbo/graph/shape.hpp"

ELBO_API_BEGIN
namespace elbo {

class Tensor {
 public:
  /// An empty float64 scalar-less tensor (numel 0, shape [0]).
  Tensor() : Tensor(DType::f64, Shape{0}) {}
  /// Zero-filled tensor. Throws ShapeError for rank > 5 or negative dimensions.
  Tensor(DType dtype, Shape shape);
  /// From values in row-major order; values.size() must equal numel(shape).
  Tensor(DType dtype, Shape shape, std::span<const double> values);
  Tensor(DType dtype, Shape shape, std::initializer_list<double> values)
      : Tensor(dtype, std::move(shape), std::span<const double>(values.begin(), values.size())) {}

  /// A rank-0 tensor holding `value`.
  static Tensor scalar(double value, DType dtype = DType::f64);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const { return elbo::numel(shape_); }
  /// Size of dimension `axis`; negative axes count from the end.
  int64_t dim(int axis) const;

  /// Raw row-major storage. T must match dtype() (throws InvalidArgument otherwise).
  template <class T>
  T* data();
  template <class T>
  const T* data() const;

  /// Element at flat row-major index, converted to double.
  double operator[](int64_t flat) const { return dtype_ == DType::f32 ? f32_[flat] : f64_[flat]; }
  /// Element at a multi-index, converted to double.
  double at(std::initializer_list<int64_t> index) const;
  /// Writes element `flat`, converting from double.
  void set(int64_t flat, double value) {
    if (dtype_ == DType::f32)
      f32_[flat] = static_cast<float>(value);
    else
      f64_[flat] = value;
  }

  /// All values as doubles, row-major.
  std::vector<double> to_vector() const;
  /// A copy converted to another dtype.
  Tensor to(DType dtype) const;
  /// Same values, new shape of equal numel.
  Tensor reshaped(Shape shape) const;
  /// Rows [begin, end) along axis 0.
  Tensor rows(int64_t begin, int64_t end) const;
  /// The rows at `index` along axis 0, in that order.
  Tensor gather_rows(std::span<const int64_t> index) const;

 private:
  DType dtype_;
  Shape shape_;
  std::vector<float> f32_;
  std::vector<double> f64_;
};

}  // namespace elbo
ELBO_API_END
