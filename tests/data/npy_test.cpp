#include "elbo/data/npy.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "data/test_files.hpp"
#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"

namespace elbo::data {
namespace {

using namespace std::string_literals;
using test::TempDir;
using test::thrown_message;

// An .npy file as numpy lays it out: magic, version, header length, the dict padded with
// spaces to a multiple of 64 bytes and ended by '\n', then `data`.
std::string npy_file(const std::string& dict, const std::string& data, int major = 1) {
  const size_t preamble = major == 1 ? 10 : 12;
  std::string header = dict;
  header.append((64 - (preamble + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY"s + static_cast<char>(major) + '\0';
  const size_t len = header.size();
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  if (major != 1) out += "\0\0"s;
  return out + header + data;
}

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

template <class T>
std::string raw(std::initializer_list<T> values) {
  std::string s;
  for (T v : values) s.append(reinterpret_cast<const char*>(&v), sizeof v);
  return s;
}

std::string npy_error(const std::string& bytes) {
  return thrown_message<FormatError>([&] { parse_npy(bytes, "a.npy"); });
}

// ---------------------------------------------------------------- round trips

Tensor counting(DType dtype, Shape shape) {
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.set(i, 0.5 * static_cast<double>(i) - 3.25);
  return t;
}

TEST(npy, round_trips_float64_and_float32_of_rank_0_to_4) {
  TempDir dir;
  const std::vector<Shape> shapes = {{}, {5}, {0}, {3, 4}, {2, 0}, {2, 3, 4}, {2, 1, 3, 2}};
  for (DType dtype : {DType::f64, DType::f32})
    for (const Shape& shape : shapes) {
      Tensor t = counting(dtype, shape);
      const std::string path = dir.path("t.npy");
      write_npy(path, t);
      Tensor back = read_npy(path);
      EXPECT_EQ(back.dtype(), dtype) << shape_str(shape);
      EXPECT_EQ(back.shape(), shape);
      EXPECT_EQ(back.to_vector(), t.to_vector()) << shape_str(shape);
    }
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"t.npy"}));
}

TEST(npy, writes_numpys_version_1_layout) {
  const std::string bytes = npy_bytes(Tensor(DType::f64, {2, 3}, {0, 1, 2, 3, 4, 5}));
  const std::string expected =
      npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
               raw<double>({0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(bytes.size(), 128u + 48u);  // the data starts 64-byte aligned
  EXPECT_NE(npy_bytes(Tensor(DType::f32, {3})).find("'shape': (3,), "), std::string::npos);
  EXPECT_NE(npy_bytes(Tensor::scalar(1.0)).find("'shape': (), "), std::string::npos);
}

// ---------------------------------------------------------------- what numpy writes

TEST(npy, reads_fortran_order_into_row_major) {
  // numpy.asfortranarray(numpy.arange(6.).reshape(2, 3)) stores columns: 0 3 1 4 2 5.
  Tensor t = parse_npy(npy_file(dict("<f8", "(2, 3)", true), raw<double>({0, 3, 1, 4, 2, 5})), "f");
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.to_vector(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
}

TEST(npy, reads_rank_3_and_4_fortran_order) {
  for (const Shape& shape : {Shape{2, 3, 4}, Shape{3, 1, 2, 2}}) {
    // Element with C index c holds c; in Fortran order it sits at its Fortran offset.
    const int64_t n = numel(shape);
    std::vector<double> file(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c) {
      int64_t rest = c, offset = 0, stride = 1;
      std::vector<int64_t> idx(shape.size());
      for (int k = static_cast<int>(shape.size()) - 1; k >= 0; --k) {
        idx[static_cast<size_t>(k)] = rest % shape[static_cast<size_t>(k)];
        rest /= shape[static_cast<size_t>(k)];
      }
      for (size_t k = 0; k < shape.size(); ++k) {
        offset += idx[k] * stride;
        stride *= shape[k];
      }
      file[static_cast<size_t>(offset)] = static_cast<double>(c);
    }
    std::string data(reinterpret_cast<const char*>(file.data()), file.size() * sizeof(double));
    std::string shape_text = "(";
    for (size_t k = 0; k < shape.size(); ++k) shape_text += (k ? ", " : "") + std::to_string(shape[k]);
    Tensor t = parse_npy(npy_file(dict("<f8", shape_text + ")", true), data), "f");
    ASSERT_EQ(t.shape(), shape);
    for (int64_t c = 0; c < n; ++c) EXPECT_EQ(t[c], static_cast<double>(c)) << shape_str(shape);
  }
}

TEST(npy, converts_integers_and_bools_to_float64) {
  auto read = [](const std::string& descr, const std::string& data) {
    Tensor t = parse_npy(npy_file(dict(descr, "(3,)"), data), "i");
    EXPECT_EQ(t.dtype(), DType::f64) << descr;
    return t.to_vector();
  };
  const std::vector<double> signed_values = {-7, 0, 9};
  EXPECT_EQ(read("<i4", raw<int32_t>({-7, 0, 9})), signed_values);
  EXPECT_EQ(read("<i8", raw<int64_t>({-7, 0, 9})), signed_values);
  EXPECT_EQ(read("<i2", raw<int16_t>({-7, 0, 9})), signed_values);
  EXPECT_EQ(read("|i1", raw<int8_t>({-7, 0, 9})), signed_values);
  EXPECT_EQ(read("|u1", raw<uint8_t>({255, 0, 9})), (std::vector<double>{255, 0, 9}));
  EXPECT_EQ(read("<u2", raw<uint16_t>({65535, 0, 9})), (std::vector<double>{65535, 0, 9}));
  EXPECT_EQ(read("<u4", raw<uint32_t>({4294967295u, 0, 9})), (std::vector<double>{4294967295.0, 0, 9}));
  EXPECT_EQ(read("<u8", raw<uint64_t>({uint64_t{1} << 60, 0, 9})), (std::vector<double>{0x1p60, 0, 9}));
  EXPECT_EQ(read("|b1", raw<uint8_t>({1, 0, 1})), (std::vector<double>{1, 0, 1}));
  Tensor f = parse_npy(npy_file(dict("<f4", "(2,)"), raw<float>({0.1f, -2})), "f");
  EXPECT_EQ(f.dtype(), DType::f32);
  EXPECT_EQ(f.data<float>()[0], 0.1f);
}

TEST(npy, reads_format_versions_2_and_3) {
  for (int major : {2, 3}) {
    Tensor t = parse_npy(npy_file(dict("<f8", "(2,)"), raw<double>({1.5, 2.5}), major), "v");
    EXPECT_EQ(t.to_vector(), (std::vector<double>{1.5, 2.5})) << "version " << major;
  }
}

TEST(npy, accepts_header_spellings_numpy_has_used) {
  // Keys in another order, double quotes, Python 2 long literals, no trailing comma.
  Tensor t = parse_npy(
      npy_file("{\"shape\": (2L, 1L), \"fortran_order\": False, \"descr\": \"<f8\"}",
               raw<double>({1, 2})),
      "h");
  EXPECT_EQ(t.shape(), (Shape{2, 1}));
  // Bytes after the data are ignored, as numpy.load does.
  EXPECT_EQ(parse_npy(npy_file(dict("<f8", "(1,)"), raw<double>({4}) + "junk"), "h").to_vector(),
            (std::vector<double>{4}));
}

// ---------------------------------------------------------------- errors

TEST(npy, names_a_missing_file) {
  TempDir dir;
  const std::string path = dir.path("x.npy");
  EXPECT_EQ(thrown_message<FormatError>([&] { read_npy(path); }),
            "cannot open '" + path + "': No such file or directory");
}

TEST(npy, names_bad_magic) {
  EXPECT_EQ(npy_error("x,y\n1,2\n"),
            "a.npy: bad magic: not an NPY file (it does not start with \"\\x93NUMPY\"; it "
            "starts with \"x,y\\x0a1,\")");
  EXPECT_EQ(npy_error("\x93NUM"), "a.npy: bad magic: not an NPY file (it does not start with "
                                  "\"\\x93NUMPY\"; it starts with \"\x93NUM\")");
  EXPECT_EQ(npy_error(""), "a.npy: file is empty, not an NPY file");
}

TEST(npy, names_an_unsupported_version) {
  std::string bytes = npy_file(dict("<f8", "(1,)"), raw<double>({1}));
  bytes[6] = 4;
  EXPECT_EQ(npy_error(bytes), "a.npy: unsupported NPY format version 4.0 (supported: 1.0, 2.0, 3.0)");
}

TEST(npy, names_an_unsupported_dtype) {
  EXPECT_EQ(npy_error(npy_file(dict(">f8", "(1,)"), raw<double>({1}))),
            "a.npy: unsupported dtype '>f8' (supported: <f4, <f8, |i1, <i2, <i4, <i8, |u1, <u2, "
            "<u4, <u8, |b1)");
  EXPECT_EQ(npy_error(npy_file(dict("<c16", "(1,)"), raw<double>({1, 2}))),
            "a.npy: unsupported dtype '<c16' (supported: <f4, <f8, |i1, <i2, <i4, <i8, |u1, <u2, "
            "<u4, <u8, |b1)");
  EXPECT_EQ(npy_error(npy_file("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
                               raw<double>({1}))),
            "a.npy: unsupported dtype: structured arrays (a descr list) are not supported");
}

TEST(npy, names_truncated_data_with_byte_counts) {
  EXPECT_EQ(npy_error(npy_file(dict("<f8", "(3, 4)"), raw<double>({1, 2, 3, 4, 5}))),
            "a.npy: truncated data: expected 96 bytes, got 40 for shape (3, 4) of '<f8'");
}

TEST(npy, names_a_truncated_header) {
  const std::string bytes = npy_file(dict("<f8", "(1,)"), raw<double>({1}));
  EXPECT_EQ(npy_error(bytes.substr(0, 40)), "a.npy: truncated NPY header: expected 128 bytes, got 40");
  EXPECT_EQ(npy_error(bytes.substr(0, 9)), "a.npy: truncated NPY preamble: expected 10 bytes, got 9");
}

TEST(npy, names_an_unparseable_header) {
  EXPECT_EQ(npy_error(npy_file("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,), }", "")),
            "a.npy: NPY header is not parseable: expected True or False for 'fortran_order' at "
            "offset 34 of \"{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,), }\"");
  EXPECT_EQ(npy_error(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", "")),
            "a.npy: NPY header is not parseable: expected a non-negative integer in 'shape' at "
            "offset 51 of \"{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }\"");
  EXPECT_EQ(npy_error(npy_file("{'descr': '<f8', 'fortran_order': False}", "")),
            "a.npy: NPY header has no 'shape' key");
  EXPECT_EQ(npy_error(npy_file("[1, 2]", "")),
            "a.npy: NPY header is not parseable: expected '{' at offset 0 of \"[1, 2]\"");
}

TEST(npy, names_a_rank_above_4) {
  EXPECT_EQ(npy_error(npy_file(dict("<f8", "(1, 1, 1, 1, 1)"), raw<double>({1}))),
            "a.npy: shape (1, 1, 1, 1, 1) has rank 5; at most rank 4 is supported");
}

TEST(npy, names_a_shape_too_large_to_exist) {
  EXPECT_EQ(npy_error(npy_file(dict("<f8", "(4294967296, 4294967296)"), "")),
            "a.npy: shape (4294967296, 4294967296) is too large");
}

TEST(npy, never_crashes_on_mangled_input) {
  const std::string base =
      npy_file(dict("<f4", "(2, 3)", true), raw<float>({1, 2, 3, 4, 5, 6}));
  for (size_t n = 0; n <= base.size(); ++n) {
    try {
      parse_npy(base.substr(0, n), "m");
    } catch (const FormatError&) {
    }
  }
  Philox rng(7);
  std::vector<uint32_t> r(4);
  for (uint64_t trial = 0; trial < 5000; ++trial) {
    std::string s = base;
    rng.bits(r.data(), 4, 0, trial);
    // Mostly the header (the first 64 bytes), where the parsing is.
    for (int k = 0; k < 3; ++k) s[r[k] % (k == 2 ? s.size() : 64)] = static_cast<char>(r[3] >> (8 * k));
    try {
      Tensor t = parse_npy(s, "m");
      EXPECT_LE(t.rank(), 4);
    } catch (const FormatError&) {
    }
  }
}

}  // namespace
}  // namespace elbo::data
