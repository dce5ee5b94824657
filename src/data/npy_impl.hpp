#pragma once
// NPY header parsing and element decoding, shared by read_npy and NpyBatchReader.
#include <cstdint>
#include <string>
#include <string_view>

#include "elbo/graph/dtype.hpp"
#include "elbo/graph/shape.hpp"
#include "elbo/graph/tensor.hpp"

namespace elbo::data::detail {

enum class NpyKind { f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1 };

/// What the preamble and header of an .npy file say.
struct NpyHeader {
  NpyKind kind = NpyKind::f8;
  int64_t itemsize = 8;
  bool fortran_order = false;
  Shape shape;
  int64_t data_offset = 0;  ///< bytes before the first element
  int64_t data_bytes = 0;   ///< numel * itemsize

  /// float32 for <f4, float64 for everything else.
  DType dtype() const { return kind == NpyKind::f4 ? DType::f32 : DType::f64; }
};

/// The preamble needs at most this many bytes.
constexpr int64_t npy_preamble_size = 12;

/// Reads the magic, version and header length from the first bytes of a file of
/// `file_size` bytes; returns the number of bytes the preamble and header take.
/// Throws FormatError (bad magic, unsupported version, truncated header).
int64_t npy_header_end(std::string_view first_bytes, int64_t file_size, const std::string& name);

/// Parses preamble and header; `bytes` holds at least npy_header_end(...) bytes. Checks that
/// `file_size` holds the data ("truncated data: expected N bytes, got M").
NpyHeader parse_npy_header(std::string_view bytes, int64_t file_size, const std::string& name);

/// Decodes `n` little-endian elements into out's storage at out_offset + i * out_stride.
void decode_npy(const char* src, int64_t n, NpyKind kind, Tensor& out, int64_t out_offset,
                int64_t out_stride);

/// Offset in elements of the Fortran-order element whose C-order index over `shape` is
/// `c_index`.
int64_t fortran_offset(const Shape& shape, int64_t c_index);

}  // namespace elbo::data::detail
