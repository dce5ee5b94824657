// libFuzzer target for the CSV reader (elbo/data/csv.hpp): any input must give a Table or
// an elbo::FormatError, never a crash, a hang, an out-of-bounds read, undefined behaviour or
// another exception (ELBO_ASSERT's plain elbo::Error included: it would mean an internal
// check failed).
//
// Each input is parsed twice: with the default options, and with ';' as the delimiter and
// non-finite cells allowed, so that both branches of the number check and a delimiter other
// than ',' are reached from the same corpus. What parses must be a consistent Table:
// [rows >= 1, columns.size()] values, finite unless allowed.
//
// Build and run: fuzz/run_fuzzers.sh (CMake with -DELBO_FUZZ=ON and clang++; the binary is
// build-fuzz/fuzz/csv_fuzzer). Seed corpus: fuzz/corpus/csv/, small valid files written by
// hand, each exercising one accepted oddity (CRLF, a byte order mark, quoted fields, blank
// lines, scientific notation, subnormals, an empty column name, ';' as the delimiter).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "elbo/data/csv.hpp"
#include "elbo/graph/error.hpp"

namespace {

void parse(std::string_view text, const elbo::data::CsvOptions& options) {
  try {
    const elbo::data::Table t = elbo::data::parse_csv(text, "fuzz.csv", options);
    const int64_t rows = t.rows(), cols = t.cols();
    if (rows < 1 || cols < 1 || t.values.rank() != 2 || t.values.dim(1) != cols) __builtin_trap();
    if (t.values.dtype() != elbo::DType::f64) __builtin_trap();
    const double* v = t.values.data<double>();
    for (int64_t i = 0; i < rows * cols; ++i)
      if (!options.allow_non_finite && !std::isfinite(v[i])) __builtin_trap();
  } catch (const elbo::FormatError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  parse(text, {});
  parse(text, {.delimiter = ';', .allow_non_finite = true});
  return 0;
}
