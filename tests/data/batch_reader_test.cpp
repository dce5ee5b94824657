#include <gtest/gtest.h>

#include "data/test_files.hpp"
#include "elbo/data/csv.hpp"
#include "elbo/data/csv_batch_reader.hpp"
#include "elbo/data/npy.hpp"
#include "elbo/data/npy_batch_reader.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::data {
namespace {

using namespace std::string_literals;
using test::TempDir;
using test::thrown_message;

// All batches of `reader` in order, with their sizes; the values concatenated.
template <class Reader>
std::vector<double> read_all(Reader& reader, int64_t batch_rows, std::vector<int64_t>& sizes) {
  std::vector<double> values;
  Tensor batch;
  sizes.clear();
  while (reader.next(batch_rows, batch)) {
    sizes.push_back(batch.dim(0));
    auto v = batch.to_vector();
    values.insert(values.end(), v.begin(), v.end());
  }
  return values;
}

std::string numbered_csv(int rows) {
  std::string text = "a,b,c\n";
  for (int r = 0; r < rows; ++r)
    text += std::to_string(r) + "," + std::to_string(r * 0.5) + "," + std::to_string(-r) + "e-2\n";
  return text;
}

// ---------------------------------------------------------------- CSV

TEST(csv_batch_reader, equals_read_csv_with_an_uneven_last_batch) {
  TempDir dir;
  const std::string path = dir.write("d.csv", numbered_csv(10));
  CsvBatchReader reader(path);
  EXPECT_EQ(reader.columns(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(reader.cols(), 3);
  std::vector<int64_t> sizes;
  EXPECT_EQ(read_all(reader, 3, sizes), read_csv(path).values.to_vector());
  EXPECT_EQ(sizes, (std::vector<int64_t>{3, 3, 3, 1}));
  Tensor untouched(DType::f64, {1, 1}, {5});
  EXPECT_FALSE(reader.next(3, untouched));
  EXPECT_EQ(untouched.to_vector(), (std::vector<double>{5}));
}

TEST(csv_batch_reader, batches_have_the_shape_rows_by_columns) {
  TempDir dir;
  CsvBatchReader reader(dir.write("d.csv", numbered_csv(5)));
  Tensor batch;
  ASSERT_TRUE(reader.next(4, batch));
  EXPECT_EQ(batch.shape(), (Shape{4, 3}));
  EXPECT_EQ(batch.dtype(), DType::f64);
  ASSERT_TRUE(reader.next(4, batch));
  EXPECT_EQ(batch.shape(), (Shape{1, 3}));
}

TEST(csv_batch_reader, reset_rewinds_to_the_first_data_row) {
  TempDir dir;
  const std::string path = dir.write("d.csv", numbered_csv(7));
  CsvBatchReader reader(path);
  Tensor batch;
  ASSERT_TRUE(reader.next(5, batch));
  reader.reset();
  std::vector<int64_t> sizes;
  EXPECT_EQ(read_all(reader, 4, sizes), read_csv(path).values.to_vector());
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 3}));
  reader.reset();
  EXPECT_EQ(read_all(reader, 100, sizes), read_csv(path).values.to_vector());
}

TEST(csv_batch_reader, counts_rows_without_moving) {
  TempDir dir;
  CsvBatchReader reader(dir.write("d.csv", numbered_csv(9) + "\n\n"));
  Tensor batch;
  ASSERT_TRUE(reader.next(2, batch));
  EXPECT_EQ(reader.count_rows(), 9);
  ASSERT_TRUE(reader.next(2, batch));
  EXPECT_EQ(batch.at({0, 0}), 2.0);
}

TEST(csv_batch_reader, reads_odd_but_valid_files_like_read_csv) {
  TempDir dir;
  const std::string path = dir.write(
      "odd.csv", "\xEF\xBB\xBF\r\n\"x\", y ,\"z,w\"\r\n\r\n\"1.5\",+2,3e-3\r\n  \r\n-4, .5 ,\"6\"\r\n7,8,9");
  CsvBatchReader reader(path);
  Table table = read_csv(path);
  EXPECT_EQ(reader.columns(), table.columns);
  std::vector<int64_t> sizes;
  EXPECT_EQ(read_all(reader, 2, sizes), table.values.to_vector());
  EXPECT_EQ(sizes, (std::vector<int64_t>{2, 1}));
}

TEST(csv_batch_reader, reports_bad_rows_like_read_csv) {
  TempDir dir;
  const std::vector<std::string> files = {
      "a,b,c\n1,2,3\n4,5,6\n7,8,9\n1,2,3\n4,5,6\n7,8,abc\n",
      "a,b,c\n1,2,3\n4,5\n",
      "a,b\n1,\n",
      "a,b\r\n\r\n1,nan\r\n",
      "a,b\n1,2\n3,\0\n"s,
      "a,b\n1,\"2\n",
  };
  for (const std::string& text : files) {
    const std::string path = dir.write("bad.csv", text);
    const std::string expected = thrown_message<FormatError>([&] { read_csv(path); });
    EXPECT_EQ(thrown_message<FormatError>([&] {
                CsvBatchReader reader(path);
                Tensor batch;
                while (reader.next(2, batch)) {
                }
              }),
              expected);
  }
}

TEST(csv_batch_reader, rejects_what_read_csv_rejects_when_opening) {
  TempDir dir;
  for (const std::string& text : {""s, "\n\n"s, "a,b\n"s, "a,a\n1,2\n"s, "\0\0\0\0"s}) {
    const std::string path = dir.write("bad.csv", text);
    const std::string expected = thrown_message<FormatError>([&] { read_csv(path); });
    EXPECT_EQ(thrown_message<FormatError>([&] { CsvBatchReader reader(path); }), expected);
  }
  EXPECT_EQ(thrown_message<FormatError>([&] { CsvBatchReader reader(dir.path("none.csv")); }),
            "cannot open '" + dir.path("none.csv") + "': No such file or directory");
}

TEST(csv_batch_reader, names_a_bad_batch_size) {
  TempDir dir;
  CsvBatchReader reader(dir.write("d.csv", numbered_csv(2)));
  Tensor batch;
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { reader.next(0, batch); }),
            "CsvBatchReader::next: argument 'batch_rows' is 0, but must be positive");
}

// ---------------------------------------------------------------- NPY

Tensor counting(DType dtype, Shape shape) {
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.set(i, 0.25 * static_cast<double>(i) + 1);
  return t;
}

TEST(npy_batch_reader, equals_read_npy_with_an_uneven_last_batch) {
  TempDir dir;
  for (DType dtype : {DType::f64, DType::f32})
    for (const Shape& shape : {Shape{10}, Shape{10, 3}, Shape{10, 2, 3}, Shape{10, 1, 2, 2}}) {
      const std::string path = dir.path("x.npy");
      write_npy(path, counting(dtype, shape));
      NpyBatchReader reader(path);
      EXPECT_EQ(reader.shape(), shape);
      EXPECT_EQ(reader.rows(), 10);
      EXPECT_EQ(reader.dtype(), dtype);
      std::vector<int64_t> sizes;
      EXPECT_EQ(read_all(reader, 4, sizes), read_npy(path).to_vector()) << shape_str(shape);
      EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
    }
}

TEST(npy_batch_reader, batches_keep_the_trailing_dimensions_and_dtype) {
  TempDir dir;
  const std::string path = dir.path("x.npy");
  write_npy(path, counting(DType::f32, {5, 2, 3}));
  NpyBatchReader reader(path);
  Tensor batch;
  ASSERT_TRUE(reader.next(3, batch));
  EXPECT_EQ(batch.shape(), (Shape{3, 2, 3}));
  EXPECT_EQ(batch.dtype(), DType::f32);
  ASSERT_TRUE(reader.next(3, batch));
  EXPECT_EQ(batch.shape(), (Shape{2, 2, 3}));
  EXPECT_FALSE(reader.next(3, batch));
  reader.reset();
  ASSERT_TRUE(reader.next(1, batch));
  EXPECT_EQ(batch.to_vector(), read_npy(path).rows(0, 1).to_vector());
}

// A Fortran-order file of `shape` holding int32 C-order indices (as numpy.asfortranarray
// would store numpy.arange(n).reshape(shape)).
std::string fortran_npy(const Shape& shape, int major = 1) {
  const int64_t n = numel(shape);
  std::vector<int32_t> file(static_cast<size_t>(n));
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
    file[static_cast<size_t>(offset)] = static_cast<int32_t>(c);
  }
  std::string shape_text = "(";
  for (size_t k = 0; k < shape.size(); ++k) shape_text += (k ? ", " : "") + std::to_string(shape[k]);
  std::string header = "{'descr': '<i4', 'fortran_order': True, 'shape': " + shape_text + "), }";
  const size_t preamble = major == 1 ? 10 : 12;
  header.append((64 - (preamble + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY"s + static_cast<char>(major) + '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  if (major != 1) out += "\0\0"s;
  return out + header +
         std::string(reinterpret_cast<const char*>(file.data()), file.size() * sizeof(int32_t));
}

TEST(npy_batch_reader, reads_fortran_order_and_integer_files_like_read_npy) {
  TempDir dir;
  for (const Shape& shape : {Shape{7, 3}, Shape{7, 2, 3}, Shape{7, 2, 1, 2}}) {
    const std::string path = dir.write("f.npy", fortran_npy(shape, 2));
    NpyBatchReader reader(path);
    EXPECT_EQ(reader.dtype(), DType::f64);
    std::vector<int64_t> sizes;
    const std::vector<double> expected = read_npy(path).to_vector();
    EXPECT_EQ(read_all(reader, 3, sizes), expected) << shape_str(shape);
    EXPECT_EQ(sizes, (std::vector<int64_t>{3, 3, 1}));
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(expected[i], static_cast<double>(i));
  }
}

TEST(npy_batch_reader, rejects_what_read_npy_rejects) {
  TempDir dir;
  const std::string good = npy_bytes(counting(DType::f64, {4, 2}));
  std::string big_endian = good;
  big_endian.replace(big_endian.find("<f8"), 3, ">f8");
  for (const std::string& bytes : {good.substr(0, good.size() - 8), good.substr(0, 30),
                                   big_endian, "not numpy"s, ""s}) {
    const std::string path = dir.write("bad.npy", bytes);
    const std::string expected = thrown_message<FormatError>([&] { read_npy(path); });
    EXPECT_EQ(thrown_message<FormatError>([&] { NpyBatchReader reader(path); }), expected);
  }
  EXPECT_EQ(thrown_message<FormatError>([&] { NpyBatchReader reader(dir.path("none.npy")); }),
            "cannot open '" + dir.path("none.npy") + "': No such file or directory");
}

TEST(npy_batch_reader, names_a_scalar_file_and_a_bad_batch_size) {
  TempDir dir;
  const std::string path = dir.path("s.npy");
  write_npy(path, Tensor::scalar(3.0));
  EXPECT_EQ(thrown_message<FormatError>([&] { NpyBatchReader reader(path); }),
            path + ": the array is a scalar (shape ()); it has no rows to read in batches");
  write_npy(path, counting(DType::f64, {2}));
  NpyBatchReader reader(path);
  Tensor batch;
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { reader.next(-1, batch); }),
            "NpyBatchReader::next: argument 'batch_rows' is -1, but must be positive");
}

TEST(npy_batch_reader, reads_an_empty_array_as_no_batches) {
  TempDir dir;
  const std::string path = dir.path("e.npy");
  write_npy(path, Tensor(DType::f64, {0, 3}));
  NpyBatchReader reader(path);
  Tensor batch;
  EXPECT_FALSE(reader.next(5, batch));
}

}  // namespace
}  // namespace elbo::data
