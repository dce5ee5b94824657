#include "elbo/data/npy.hpp"

#include <bit>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "../graph/assert_impl.hpp"
#include "csv_impl.hpp"
#include "elbo/data/atomic_file.hpp"
#include "elbo/graph/error.hpp"
#include "npy_impl.hpp"

namespace elbo::data {

namespace detail {

namespace {
constexpr std::string_view magic = "\x93NUMPY";
constexpr int64_t max_elements = int64_t{1} << 58;  // keeps every byte count far from overflow

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw FormatError(name + ": " + what);
}

std::string expected_got(int64_t expected, int64_t got) {
  return "expected " + std::to_string(expected) + " bytes, got " + std::to_string(got);
}

uint32_t le32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// The header is a Python dict literal, e.g.
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  void parse(std::string& descr, bool& fortran, Shape& shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip_space();
    expect('{');
    for (;;) {
      skip_space();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      const std::string key = string_literal("a key");
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (have_descr) fail_here("key 'descr' appears twice");
        if (peek() == '[')
          fail(name_, "unsupported dtype: structured arrays (a descr list) are not supported");
        descr = string_literal("the 'descr' string");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_fortran) fail_here("key 'fortran_order' appears twice");
        fortran = boolean();
        have_fortran = true;
      } else if (key == "shape") {
        if (have_shape) fail_here("key 'shape' appears twice");
        shape = tuple();
        have_shape = true;
      } else {
        fail_here("unexpected key '" + printable(key) + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() != '}') fail_here("expected ',' or '}'");
    }
    skip_space();
    if (pos_ != s_.size()) fail_here("unexpected text after the closing '}'");
    if (!have_descr) fail(name_, "NPY header has no 'descr' key");
    if (!have_fortran) fail(name_, "NPY header has no 'fortran_order' key");
    if (!have_shape) fail(name_, "NPY header has no 'shape' key");
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' ||
                                s_[pos_] == '\r'))
      ++pos_;
  }
  [[noreturn]] void fail_here(const std::string& what) const {
    std::string_view shown = s_;
    while (!shown.empty() && (shown.back() == ' ' || shown.back() == '\n')) shown.remove_suffix(1);
    fail(name_, "NPY header is not parseable: " + what + " at offset " + std::to_string(pos_) +
                    " of \"" + printable(shown) + "\"");
  }
  void expect(char c) {
    if (peek() != c || pos_ >= s_.size()) fail_here(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string_literal(const char* what) {
    const char q = peek();
    if (pos_ >= s_.size() || (q != '\'' && q != '"')) fail_here(std::string("expected ") + what);
    ++pos_;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out += s_[pos_++];
    }
    if (pos_ >= s_.size()) fail_here("unterminated string");
    ++pos_;
    return out;
  }
  bool boolean() {
    if (s_.substr(pos_).starts_with("True")) {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_).starts_with("False")) {
      pos_ += 5;
      return false;
    }
    fail_here("expected True or False for 'fortran_order'");
  }
  Shape tuple() {
    expect('(');
    Shape shape;
    for (;;) {
      skip_space();
      if (peek() == ')') {
        ++pos_;
        return shape;
      }
      if (pos_ >= s_.size() || peek() < '0' || peek() > '9')
        fail_here("expected a non-negative integer in 'shape'");
      int64_t v = 0;
      while (pos_ < s_.size() && peek() >= '0' && peek() <= '9') {
        v = v * 10 + (peek() - '0');
        if (v > max_elements) fail_here("dimension too large in 'shape'");
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2's long literals
      shape.push_back(v);
      if (shape.size() > 32) fail_here("too many dimensions in 'shape'");
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') fail_here("expected ',' or ')' in 'shape'");
    }
  }

  std::string_view s_;
  const std::string& name_;
  size_t pos_ = 0;
};

std::string shape_tuple(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::optional<std::pair<NpyKind, int64_t>> kind_of(const std::string& d) {
  if (d == "<f4") return {{NpyKind::f4, 4}};
  if (d == "<f8") return {{NpyKind::f8, 8}};
  if (d == "|i1" || d == "<i1") return {{NpyKind::i1, 1}};
  if (d == "<i2") return {{NpyKind::i2, 2}};
  if (d == "<i4") return {{NpyKind::i4, 4}};
  if (d == "<i8") return {{NpyKind::i8, 8}};
  if (d == "|u1" || d == "<u1") return {{NpyKind::u1, 1}};
  if (d == "<u2") return {{NpyKind::u2, 2}};
  if (d == "<u4") return {{NpyKind::u4, 4}};
  if (d == "<u8") return {{NpyKind::u8, 8}};
  if (d == "|b1") return {{NpyKind::b1, 1}};
  return std::nullopt;
}

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
    unsigned char b[sizeof v];
    std::memcpy(b, &v, sizeof v);
    for (size_t i = 0; i < sizeof v / 2; ++i) std::swap(b[i], b[sizeof v - 1 - i]);
    std::memcpy(&v, b, sizeof v);
  }
  return v;
}

template <class T>
void store(std::string& out, T v) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  if constexpr (std::endian::native == std::endian::big)
    for (size_t i = 0; i < sizeof v / 2; ++i) std::swap(b[i], b[sizeof v - 1 - i]);
  out.append(b, sizeof v);
}
}  // namespace

int64_t npy_header_end(std::string_view first, int64_t file_size, const std::string& name) {
  if (file_size == 0) fail(name, "file is empty, not an NPY file");
  if (first.size() < magic.size() || first.substr(0, magic.size()) != magic)
    fail(name, "bad magic: not an NPY file (it does not start with \"\\x93NUMPY\"; it starts with \"" +
                   printable(first.substr(0, magic.size())) + "\")");
  if (first.size() < 8) fail(name, "truncated NPY preamble: " + expected_got(8, file_size));
  const int major = static_cast<unsigned char>(first[6]);
  const int minor = static_cast<unsigned char>(first[7]);
  if (major < 1 || major > 3 || minor != 0)
    fail(name, "unsupported NPY format version " + std::to_string(major) + "." +
                   std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  const int64_t preamble = major == 1 ? 10 : 12;
  if (static_cast<int64_t>(first.size()) < preamble)
    fail(name, "truncated NPY preamble: " + expected_got(preamble, file_size));
  const int64_t header_len =
      major == 1 ? static_cast<int64_t>(static_cast<unsigned char>(first[8]) |
                                        (static_cast<unsigned char>(first[9]) << 8))
                 : static_cast<int64_t>(le32(first.data() + 8));
  if (preamble + header_len > file_size)
    fail(name, "truncated NPY header: " + expected_got(preamble + header_len, file_size));
  return preamble + header_len;
}

NpyHeader parse_npy_header(std::string_view bytes, int64_t file_size, const std::string& name) {
  const int64_t end = npy_header_end(bytes, file_size, name);
  const int64_t start = static_cast<unsigned char>(bytes[6]) == 1 ? 10 : 12;
  ELBO_ASSERT(static_cast<int64_t>(bytes.size()) >= end);
  std::string descr;
  NpyHeader h;
  HeaderParser(bytes.substr(static_cast<size_t>(start), static_cast<size_t>(end - start)), name)
      .parse(descr, h.fortran_order, h.shape);
  const auto kind = kind_of(descr);
  if (!kind)
    fail(name, "unsupported dtype '" + printable(descr) +
                   "' (supported: <f4, <f8, |i1, <i2, <i4, <i8, |u1, <u2, <u4, <u8, |b1)");
  h.kind = kind->first;
  h.itemsize = kind->second;
  if (h.shape.size() > 4)
    fail(name, "shape " + shape_tuple(h.shape) + " has rank " + std::to_string(h.shape.size()) +
                   "; at most rank 4 is supported");
  int64_t n = 1;
  for (int64_t d : h.shape) {
    if (d != 0 && n > max_elements / d)
      fail(name, "shape " + shape_tuple(h.shape) + " is too large");
    n *= d;
  }
  h.data_offset = end;
  h.data_bytes = n * h.itemsize;
  if (file_size - end < h.data_bytes)
    fail(name, "truncated data: " + expected_got(h.data_bytes, file_size - end) + " for shape " +
                   shape_tuple(h.shape) + " of '" + descr + "'");
  return h;
}

void decode_npy(const char* src, int64_t n, NpyKind kind, Tensor& out, int64_t out_offset,
                int64_t out_stride) {
  if (kind == NpyKind::f4) {
    float* dst = out.data<float>() + out_offset;
    for (int64_t i = 0; i < n; ++i) dst[i * out_stride] = load<float>(src + 4 * i);
    return;
  }
  double* dst = out.data<double>() + out_offset;
  auto each = [&](auto tag, int64_t size) {
    using T = decltype(tag);
    for (int64_t i = 0; i < n; ++i) dst[i * out_stride] = static_cast<double>(load<T>(src + size * i));
  };
  switch (kind) {
    case NpyKind::f8: each(double{}, 8); break;
    case NpyKind::i1: each(int8_t{}, 1); break;
    case NpyKind::i2: each(int16_t{}, 2); break;
    case NpyKind::i4: each(int32_t{}, 4); break;
    case NpyKind::i8: each(int64_t{}, 8); break;
    case NpyKind::u1: each(uint8_t{}, 1); break;
    case NpyKind::u2: each(uint16_t{}, 2); break;
    case NpyKind::u4: each(uint32_t{}, 4); break;
    case NpyKind::u8: each(uint64_t{}, 8); break;
    case NpyKind::b1:
      for (int64_t i = 0; i < n; ++i) dst[i * out_stride] = src[i] != 0 ? 1.0 : 0.0;
      break;
    case NpyKind::f4: break;
  }
}

int64_t fortran_offset(const Shape& shape, int64_t c_index) {
  // Peel C-order digits from the last axis; Fortran strides grow from the first axis.
  int64_t offset = 0;
  int64_t rest = c_index;
  const int r = static_cast<int>(shape.size());
  std::vector<int64_t> digit(static_cast<size_t>(r));
  for (int k = r - 1; k >= 0; --k) {
    const int64_t d = shape[static_cast<size_t>(k)];
    digit[static_cast<size_t>(k)] = d ? rest % d : 0;
    rest = d ? rest / d : 0;
  }
  int64_t stride = 1;
  for (int k = 0; k < r; ++k) {
    offset += digit[static_cast<size_t>(k)] * stride;
    stride *= shape[static_cast<size_t>(k)];
  }
  return offset;
}

}  // namespace detail

Tensor parse_npy(std::string_view bytes, const std::string& name_for_messages) {
  const auto h = detail::parse_npy_header(bytes, static_cast<int64_t>(bytes.size()),
                                          name_for_messages);
  Tensor out(h.dtype(), h.shape);
  const int64_t n = out.numel();
  const char* data = bytes.data() + h.data_offset;
  if (!h.fortran_order || h.shape.size() < 2) {
    detail::decode_npy(data, n, h.kind, out, 0, 1);
    return out;
  }
  // Decode in file (Fortran) order, then place each element at its C-order position.
  Tensor file_order(h.dtype(), Shape{n});
  detail::decode_npy(data, n, h.kind, file_order, 0, 1);
  // Walking C-order indices while tracking the Fortran offset incrementally.
  const int r = static_cast<int>(h.shape.size());
  std::vector<int64_t> idx(static_cast<size_t>(r), 0), fstride(static_cast<size_t>(r), 1);
  for (int k = 1; k < r; ++k)
    fstride[static_cast<size_t>(k)] = fstride[static_cast<size_t>(k - 1)] * h.shape[static_cast<size_t>(k - 1)];
  int64_t f = 0;
  for (int64_t c = 0; c < n; ++c) {
    out.set(c, file_order[f]);
    for (int k = r - 1; k >= 0; --k) {
      const auto kk = static_cast<size_t>(k);
      if (++idx[kk] < h.shape[kk]) {
        f += fstride[kk];
        break;
      }
      f -= (idx[kk] - 1) * fstride[kk];
      idx[kk] = 0;
    }
  }
  return out;
}

Tensor read_npy(const std::string& path) {
  return parse_npy(detail::read_whole_file(path), path);
}

std::string npy_bytes(const Tensor& tensor) {
  std::string dict = std::string("{'descr': '") + (tensor.dtype() == DType::f32 ? "<f4" : "<f8") +
                     "', 'fortran_order': False, 'shape': " + detail::shape_tuple(tensor.shape()) +
                     ", }";
  // numpy pads with spaces so that the data starts at a multiple of 64 bytes.
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string out(detail::magic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  out += dict;
  const int64_t n = tensor.numel();
  if (tensor.dtype() == DType::f32) {
    const float* p = tensor.data<float>();
    for (int64_t i = 0; i < n; ++i) detail::store(out, p[i]);
  } else {
    const double* p = tensor.data<double>();
    for (int64_t i = 0; i < n; ++i) detail::store(out, p[i]);
  }
  return out;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  write_file_atomically(path, npy_bytes(tensor));
}

}  // namespace elbo::data
