#include "elbo/graph/tensor.hpp"

#include <cstring>

namespace elbo {

namespace {
void check_shape(const Shape& shape) {
  if (shape.size() > 5)
    throw ShapeError("Tensor: rank " + std::to_string(shape.size()) + " of shape " +
                     shape_str(shape) + " exceeds the maximum rank 5 (4 plus a sample dimension)");
  for (int64_t d : shape)
    if (d < 0) throw ShapeError("Tensor: negative dimension in shape " + shape_str(shape));
}
}  // namespace

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  check_shape(shape_);
  if (dtype_ == DType::f32)
    f32_.assign(static_cast<size_t>(elbo::numel(shape_)), 0.0f);
  else
    f64_.assign(static_cast<size_t>(elbo::numel(shape_)), 0.0);
}

Tensor::Tensor(DType dtype, Shape shape, std::span<const double> values)
    : Tensor(dtype, std::move(shape)) {
  if (static_cast<int64_t>(values.size()) != numel())
    throw ShapeError("Tensor: " + std::to_string(values.size()) + " values given for shape " +
                     shape_str(shape_) + " (" + std::to_string(numel()) + " elements)");
  for (size_t i = 0; i < values.size(); ++i) set(static_cast<int64_t>(i), values[i]);
}

Tensor Tensor::scalar(double value, DType dtype) {
  Tensor t(dtype, Shape{});
  t.set(0, value);
  return t;
}

int64_t Tensor::dim(int axis) const {
  int r = rank();
  int a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= r)
    throw ShapeError("Tensor::dim: axis " + std::to_string(axis) + " out of range for shape " +
                     shape_str(shape_));
  return shape_[static_cast<size_t>(a)];
}

template <>
float* Tensor::data<float>() {
  if (dtype_ != DType::f32) throw InvalidArgument("Tensor::data<float>: the tensor is float64; use data<double>()");
  return f32_.data();
}
template <>
double* Tensor::data<double>() {
  if (dtype_ != DType::f64) throw InvalidArgument("Tensor::data<double>: the tensor is float32; use data<float>()");
  return f64_.data();
}
template <>
const float* Tensor::data<float>() const {
  if (dtype_ != DType::f32) throw InvalidArgument("Tensor::data<float>: the tensor is float64; use data<double>()");
  return f32_.data();
}
template <>
const double* Tensor::data<double>() const {
  if (dtype_ != DType::f64) throw InvalidArgument("Tensor::data<double>: the tensor is float32; use data<float>()");
  return f64_.data();
}

double Tensor::at(std::initializer_list<int64_t> index) const {
  if (static_cast<int>(index.size()) != rank())
    throw ShapeError("Tensor::at: " + std::to_string(index.size()) + " indices for shape " +
                     shape_str(shape_));
  int64_t flat = 0;
  size_t k = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= shape_[k])
      throw ShapeError("Tensor::at: index " + std::to_string(i) + " out of range for axis " +
                       std::to_string(k) + " of shape " + shape_str(shape_));
    flat = flat * shape_[k] + i;
    ++k;
  }
  return (*this)[flat];
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> v(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) v[static_cast<size_t>(i)] = (*this)[i];
  return v;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  Tensor t(dtype, shape_);
  const int64_t n = numel();
  if (dtype == DType::f32)
    for (int64_t i = 0; i < n; ++i) t.f32_[i] = static_cast<float>(f64_[i]);
  else
    for (int64_t i = 0; i < n; ++i) t.f64_[i] = static_cast<double>(f32_[i]);
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (elbo::numel(shape) != numel())
    throw ShapeError("Tensor::reshaped: cannot reshape " + shape_str(shape_) + " to " +
                     shape_str(shape));
  Tensor t = *this;
  check_shape(shape);
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::rows(int64_t begin, int64_t end) const {
  if (rank() < 1 || begin < 0 || end < begin || end > shape_[0])
    throw ShapeError("Tensor::rows: range [" + std::to_string(begin) + "," + std::to_string(end) +
                     ") invalid for shape " + shape_str(shape_));
  Shape s = shape_;
  s[0] = end - begin;
  Tensor t(dtype_, s);
  int64_t row = shape_[0] ? numel() / shape_[0] : 0;
  if (row * (end - begin) == 0) return t;  // no values: nothing to copy (memcpy takes no null pointers)
  if (dtype_ == DType::f32)
    std::memcpy(t.f32_.data(), f32_.data() + begin * row, sizeof(float) * size_t(row * (end - begin)));
  else
    std::memcpy(t.f64_.data(), f64_.data() + begin * row, sizeof(double) * size_t(row * (end - begin)));
  return t;
}

Tensor Tensor::gather_rows(std::span<const int64_t> index) const {
  if (rank() < 1) throw ShapeError("Tensor::gather_rows: tensor is a scalar");
  Shape s = shape_;
  s[0] = static_cast<int64_t>(index.size());
  Tensor t(dtype_, s);
  int64_t row = shape_[0] ? numel() / shape_[0] : 0;
  for (size_t r = 0; r < index.size(); ++r) {
    int64_t i = index[r];
    if (i < 0 || i >= shape_[0])
      throw ShapeError("Tensor::gather_rows: row " + std::to_string(i) + " out of range for " +
                       std::to_string(shape_[0]) + " rows");
    for (int64_t j = 0; j < row; ++j) t.set(int64_t(r) * row + j, (*this)[i * row + j]);
  }
  return t;
}

}  // namespace elbo
