// libFuzzer target for the NPY reader (elbo/data/npy.hpp): any input must give a Tensor or
// an elbo::FormatError, never a crash, a hang, an out-of-bounds read, undefined behaviour, a
// large allocation or another exception (ELBO_ASSERT's plain elbo::Error included).
//
// What parses must write back and read again to the same tensor: npy_bytes (always <f4 or
// <f8, C order) then parse_npy gives the same dtype, shape and bits, so the two directions
// of the format agree on every shape and dtype the fuzzer reaches.
//
// Build and run: fuzz/run_fuzzers.sh (CMake with -DELBO_FUZZ=ON and clang++; the binary is
// build-fuzz/fuzz/npy_fuzzer). Seed corpus: fuzz/corpus/npy/, small valid files written
// with numpy's header layout by fuzz/make_npy_corpus.py (format 1.0, 2.0 and 3.0; <f4, <f8,
// <i8, |u1, |b1; C and Fortran order; rank 0 to 3, an empty array).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "elbo/data/npy.hpp"
#include "elbo/graph/error.hpp"

namespace {

void check_round_trip(const elbo::Tensor& t) {
  const elbo::Tensor again = elbo::data::parse_npy(elbo::data::npy_bytes(t), "again.npy");
  if (again.dtype() != t.dtype() || again.shape() != t.shape()) __builtin_trap();
  const size_t bytes = static_cast<size_t>(t.numel()) * (t.dtype() == elbo::DType::f32 ? 4 : 8);
  const void* a = t.dtype() == elbo::DType::f32 ? static_cast<const void*>(t.data<float>())
                                                 : static_cast<const void*>(t.data<double>());
  const void* b = again.dtype() == elbo::DType::f32 ? static_cast<const void*>(again.data<float>())
                                                     : static_cast<const void*>(again.data<double>());
  if (bytes != 0 && std::memcmp(a, b, bytes) != 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  elbo::Tensor t;
  try {
    t = elbo::data::parse_npy(bytes, "fuzz.npy");
  } catch (const elbo::FormatError&) {
    return 0;
  }
  check_round_trip(t);  // any exception here is a bug: what was read must write and read again
  return 0;
}
