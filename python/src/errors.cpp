// The library's exceptions as Python exceptions: a bad argument or shape is a ValueError
// (elbo.ShapeError for shapes), a bad file an elbo.FormatError (a ValueError), a NaN or
// inf during a fit an elbo.NumericalError (an ArithmeticError); the C++ message is kept.
#include <elbo/graph/error.hpp>

#include "bindings.hpp"

namespace elbo::python {

void bind_errors(nb::module_& m) {
  // Owned for the life of the process (never released: the translator may run until exit).
  static PyObject* shape_error = PyErr_NewExceptionWithDoc(
      "elbo.ShapeError", "Shapes that do not fit an operation.", PyExc_ValueError, nullptr);
  static PyObject* format_error = PyErr_NewExceptionWithDoc(
      "elbo.FormatError", "A file that cannot be read or parsed; the message names file, line and column.",
      PyExc_ValueError, nullptr);
  static PyObject* numerical_error = PyErr_NewExceptionWithDoc(
      "elbo.NumericalError", "A NaN or inf where a finite number is needed (during fitting, in data).",
      PyExc_ArithmeticError, nullptr);
  m.attr("ShapeError") = nb::handle(shape_error);
  m.attr("FormatError") = nb::handle(format_error);
  m.attr("NumericalError") = nb::handle(numerical_error);
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const ShapeError& e) {
      PyErr_SetString(shape_error, e.what());
    } catch (const InvalidArgument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const FormatError& e) {
      PyErr_SetString(format_error, e.what());
    } catch (const NumericalError& e) {
      PyErr_SetString(numerical_error, e.what());
    } catch (const Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (const InternalError& e) {
      PyErr_SetString(PyExc_RuntimeError, (std::string("elbo internal error (please report): ") + e.what()).c_str());
    }
  });
}

}  // namespace elbo::python
