#pragma once
// Element types a graph can compute in (PyMC's floatX).
#include <string_view>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

enum class DType { f32, f64 };

/// "float32" or "float64".
constexpr std::string_view dtype_name(DType d) { return d == DType::f32 ? "float32" : "float64"; }

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::f32; }
template <>
constexpr DType dtype_of<double>() { return DType::f64; }

}  // namespace elbo
ELBO_API_END
