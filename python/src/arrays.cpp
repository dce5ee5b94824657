#include "arrays.hpp"

#include <cstring>
#include <vector>

#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>

namespace elbo::python {

Tensor to_tensor(nb::handle value, const std::string& what, DType dtype) {
  nb::module_ np = nb::module_::import_("numpy");
  nb::object array;
  try {
    array = np.attr("asarray")(value);
  } catch (nb::python_error& e) {
    throw nb::value_error((what + ": cannot be read as an array (" + e.what() + ")").c_str());
  }
  const std::string kind = nb::cast<std::string>(array.attr("dtype").attr("kind"));
  if (kind != "f" && kind != "i" && kind != "u" && kind != "b") {
    const std::string dtype_text = nb::cast<std::string>(array.attr("dtype").attr("name"));
    throw nb::value_error((what + ": expected numbers, got an array of dtype " + dtype_text).c_str());
  }
  const size_t ndim = nb::cast<size_t>(array.attr("ndim"));
  if (ndim > 4)
    throw nb::value_error((what + ": arrays have at most 4 dimensions, got " + std::to_string(ndim)).c_str());
  const char* np_dtype = dtype == DType::f32 ? "float32" : "float64";
  nb::object contiguous = np.attr("asarray")(array, nb::arg("dtype") = np_dtype, nb::arg("order") = "C");
  Shape shape;
  for (nb::handle d : contiguous.attr("shape")) shape.push_back(nb::cast<int64_t>(d));
  Tensor t(dtype, shape);
  if (t.numel() == 0) return t;
  if (dtype == DType::f32) {
    auto a = nb::cast<nb::ndarray<const float, nb::c_contig, nb::device::cpu>>(contiguous);
    std::memcpy(t.data<float>(), a.data(), sizeof(float) * static_cast<size_t>(t.numel()));
  } else {
    auto a = nb::cast<nb::ndarray<const double, nb::c_contig, nb::device::cpu>>(contiguous);
    std::memcpy(t.data<double>(), a.data(), sizeof(double) * static_cast<size_t>(t.numel()));
  }
  return t;
}

nb::object to_numpy(Tensor tensor) {
  auto* owned = new Tensor(std::move(tensor));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  std::vector<size_t> shape(owned->shape().begin(), owned->shape().end());
  if (owned->dtype() == DType::f32)
    return nb::ndarray<nb::numpy, float>(owned->data<float>(), shape.size(), shape.data(), owner).cast();
  return nb::ndarray<nb::numpy, double>(owned->data<double>(), shape.size(), shape.data(), owner).cast();
}

Shape to_shape(nb::handle value, const std::string& what) {
  if (value.is_none()) return {};
  if (nb::isinstance<nb::int_>(value)) return {nb::cast<int64_t>(value)};
  if (!nb::isinstance<nb::tuple>(value) && !nb::isinstance<nb::list>(value))
    throw nb::value_error((what + ": a shape is an int or a tuple of ints").c_str());
  Shape shape;
  for (nb::handle d : value) {
    if (!nb::isinstance<nb::int_>(d) && !nb::hasattr(d, "__index__"))
      throw nb::value_error((what + ": a shape is an int or a tuple of ints, got an entry " +
                             nb::cast<std::string>(nb::repr(d)))
                                .c_str());
    int64_t n = nb::cast<int64_t>(d.attr("__index__")());
    if (n < 0) throw nb::value_error((what + ": negative dimension " + std::to_string(n)).c_str());
    shape.push_back(n);
  }
  return shape;
}

DType to_dtype(const std::string& name, const std::string& what) {
  if (name == "float32") return DType::f32;
  if (name == "float64") return DType::f64;
  throw nb::value_error((what + ": dtype must be 'float32' or 'float64', got '" + name + "'").c_str());
}

}  // namespace elbo::python
