#pragma once
// Helpers of the io tests: a private temporary directory, message assertions, the small
// models the tests save, and an independent writer of the file layout documented in
// elbo/io/approximation_file.hpp (to craft files that pass the checksum but are wrong).
#include <gtest/gtest.h>
#include "support/temp_dir.hpp"
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "elbo/io.hpp"
#include "elbo/model.hpp"
#include "elbo/vi.hpp"
#include "io/fnv1a_impl.hpp"

namespace elbo::io_test {

/// A fresh directory under ::testing::TempDir(), removed with everything in it.
class TempDir : public elbo::testing::TempDir {
 public:
  TempDir() : elbo::testing::TempDir("elbo_io_") {}
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The what() of the E that `f` throws; a test failure (and "") when it throws nothing.
/// Exceptions of other types propagate and fail the test.
template <class E, class F>
std::string thrown_message(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception, but none was thrown";
  return "";
}

/// w ~ Normal(0, 1) of shape [2,3] and sd ~ HalfNormal(1) (stored as sd_log__): D = 7.
inline Model small_model() {
  Model m;
  m.normal("w", 0, 1, {2, 3});
  m.half_normal("sd", 1);
  return m;
}

/// Exact, platform-independent, all-different parameter values (multiples of 1/8).
inline void fill_params(Approximation& q) {
  auto p = q.params();
  for (size_t i = 0; i < p.size(); ++i) p[i] = (i % 2 ? -1.0 : 1.0) * (0.125 * static_cast<double>(i) + 0.5);
}

inline std::unique_ptr<Approximation> small_mean_field(const Model& m) {
  auto q = std::make_unique<MeanField>(m.initial_point().to_vector());
  fill_params(*q);
  return q;
}

/// Bytes in the documented layout, little-endian.
class FileBuilder {
 public:
  FileBuilder& raw(std::string_view s) {
    body_ += s;
    return *this;
  }
  FileBuilder& u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) body_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  FileBuilder& u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) body_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  FileBuilder& i64(int64_t v) { return u64(static_cast<uint64_t>(v)); }
  FileBuilder& f64(double v) {
    uint64_t u;
    std::memcpy(&u, &v, 8);
    return u64(u);
  }
  FileBuilder& str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    return raw(s);
  }
  /// A variable: name, value_name, transform, shape, offset.
  FileBuilder& variable(std::string_view name, std::string_view value_name, std::string_view transform,
                        const std::vector<int64_t>& shape, int64_t offset) {
    str(name).str(value_name).str(transform).u32(static_cast<uint32_t>(shape.size()));
    for (int64_t d : shape) i64(d);
    return i64(offset);
  }

  /// The complete file: magic, `version`, the length, the body and its FNV-1a 64.
  std::string file(uint32_t version = approximation_file_version) const { return seal(prefix(version) + body_); }

  static std::string prefix(uint32_t version) {
    FileBuilder p;
    p.raw(std::string_view("\x89" "ELBO\r\n\x1a", 8)).u32(version).u64(0);
    return p.body_;
  }
  /// Sets the length field of `bytes` (magic, version, length, body; no checksum yet) and
  /// appends the checksum.
  static std::string seal(std::string bytes) {
    const uint64_t length = bytes.size() + 8;
    for (int i = 0; i < 8; ++i) bytes[12 + i] = static_cast<char>(length >> (8 * i));
    return reseal_body(std::move(bytes));
  }
  /// Appends the checksum of `bytes` as they are.
  static std::string reseal_body(std::string bytes) {
    const uint64_t h = detail::fnv1a_64(bytes);
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(h >> (8 * i)));
    return bytes;
  }
  /// A complete file with its checksum recomputed after an edit.
  static std::string reseal(const std::string& file) { return reseal_body(file.substr(0, file.size() - 8)); }

 private:
  std::string body_;
};

}  // namespace elbo::io_test
