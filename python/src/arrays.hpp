#pragma once
// NumPy arrays in and out of the library's Tensor: arrays (or numbers, or nested
// sequences) become Tensors by one conversion with NumPy; Tensors become arrays that own
// them, without a copy.
#include <optional>
#include <string>

#include <nanobind/nanobind.h>

#include <elbo/graph/dtype.hpp>
#include <elbo/graph/shape.hpp>
#include <elbo/graph/tensor.hpp>

namespace elbo::python {

namespace nb = nanobind;

/// `value` as a Tensor of `dtype` (float64 when unset). Numbers, booleans and integers
/// convert; anything else (strings, objects, ragged lists), rank above 4 and non-finite
/// values where `finite` is asked raise ValueError naming `what`.
Tensor to_tensor(nb::handle value, const std::string& what, DType dtype = DType::f64);
/// The tensor as a NumPy array of its dtype that owns it (no copy).
nb::object to_numpy(Tensor tensor);
/// A shape given as an int, a tuple or a list of ints; ValueError naming `what` otherwise.
Shape to_shape(nb::handle value, const std::string& what);
/// "float32" / "float64" as a DType; ValueError naming `what` otherwise.
DType to_dtype(const std::string& name, const std::string& what);

}  // namespace elbo::python
