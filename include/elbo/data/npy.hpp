#pragma once
// NumPy .npy files (format versions 1.0, 2.0, 3.0).
#include <string>
#include <string_view>

#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo::data {

/// Parses the bytes of an .npy file. Little-endian dtypes <f4 (read as float32), <f8, and
/// <i4, <i8, <u4, <u8, |u1, |i1, |b1, <i2, <u2 (converted to float64; 64-bit integers above
/// 2^53 lose precision); C or Fortran order (returned row-major); rank 0 to 4. Bytes after
/// the data are ignored, as numpy does. `name_for_messages` starts every error message.
/// Never crashes on any input (a fuzzing entry point). Throws FormatError naming what is
/// wrong: bad magic, unsupported version or dtype ('>f8'), an unparseable header, a rank
/// above 4, "truncated data: expected N bytes, got M".
Tensor parse_npy(std::string_view bytes, const std::string& name_for_messages);

/// Reads and parses an .npy file (see parse_npy). Throws FormatError if it cannot be
/// opened: "cannot open 'x.npy': No such file or directory".
Tensor read_npy(const std::string& path);

/// Writes `tensor` as an .npy version 1.0 file (<f4 or <f8, C order), atomically.
/// Throws FormatError if writing fails.
void write_npy(const std::string& path, const Tensor& tensor);

/// The bytes write_npy writes.
std::string npy_bytes(const Tensor& tensor);

}  // namespace elbo::data
ELBO_API_END
