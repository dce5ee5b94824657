// libFuzzer target for the approximation file parser (elbo/io/approximation_file.hpp):
// any input must give a SavedApproximation or an elbo::FormatError (the only exception
// parse_approximation documents), never a crash, a hang, an out-of-bounds read, undefined
// behaviour, a large allocation or another exception. What parses must rebuild
// (make_approximation) and write again without throwing: byte for byte when the input is in
// the current format version; an older version (1, still read) is written in the current
// one, and that file must read back to the same bytes again.
//
// Each input is parsed twice: as it is (which exercises the magic, version, length and
// checksum checks), and "resealed": its length field set to its size and its last 8 bytes
// replaced by the right checksum, so that mutations reach the field parser behind the
// checksum instead of being stopped by it.
//
// Build and run: fuzz/run_fuzzers.sh (CMake with -DELBO_FUZZ=ON and clang++; the binary is
// build-fuzz/fuzz/model_file_fuzzer), or by hand:
//   build-fuzz/fuzz/model_file_fuzzer -max_len=4096 -rss_limit_mb=2048 <copy of the corpus>
//
// Seed corpus: fuzz/corpus/model_file/ holds small valid files (a mean-field and a
// full-rank approximation of small models, and one of an empty model with metadata). They
// are written by tests/io/seed_corpus_test.cpp: `ELBO_WRITE_SEED_CORPUS=1 io_tests
// --gtest_filter='seed_corpus.*'` regenerates them; without the variable that test checks
// that the committed files still match the writer byte for byte.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "elbo/graph/error.hpp"
#include "elbo/io/approximation_file.hpp"
#include "io/fnv1a_impl.hpp"

namespace {

// The u32 format version at offset 8 (the file parsed, so it is there).
uint32_t file_version(std::string_view bytes) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  return v;
}

void parse(std::string_view bytes) {
  elbo::SavedApproximation s;
  try {
    s = elbo::parse_approximation(bytes, "fuzz.elbo");
  } catch (const elbo::FormatError&) {
    return;
  }
  // What parses must be consistent enough to rebuild and to write again, unchanged; an
  // exception from here on is a bug and stops the fuzzer.
  auto q = elbo::make_approximation(s);
  (void)q->mean();
  const std::string again = elbo::serialize_approximation(s);
  if (file_version(bytes) == elbo::approximation_file_version) {
    if (again != bytes) __builtin_trap();  // the format is canonical
  } else {
    // An older version is upgraded on writing: the upgraded file must parse, and be canonical.
    const std::string upgraded = elbo::serialize_approximation(elbo::parse_approximation(again, "fuzz.elbo"));
    if (upgraded != again) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  parse(bytes);
  if (size >= 28) {
    std::string sealed(bytes.substr(0, size - 8));
    for (int i = 0; i < 8; ++i) sealed[12 + i] = static_cast<char>(static_cast<uint64_t>(size) >> (8 * i));
    const uint64_t h = elbo::detail::fnv1a_64(sealed);
    for (int i = 0; i < 8; ++i) sealed.push_back(static_cast<char>(h >> (8 * i)));
    parse(sealed);
  }
  return 0;
}
