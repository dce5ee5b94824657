#include "elbo/data/csv.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "data/test_files.hpp"
#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"

namespace elbo::data {
namespace {

using namespace std::string_literals;
using test::TempDir;
using test::thrown_message;

// The message read_csv gives for a file with content `text`, path-independent: the file's
// path is replaced by "data.csv".
std::string csv_error(const std::string& text, const CsvOptions& options = {}) {
  TempDir dir;
  const std::string path = dir.write("data.csv", text);
  std::string m = thrown_message<FormatError>([&] { read_csv(path, options); });
  if (m.starts_with(path)) m = "data.csv" + m.substr(path.size());
  return m;
}

Table parse(const std::string& text, const CsvOptions& options = {}) {
  return parse_csv(text, "data.csv", options);
}

// ---------------------------------------------------------------- errors

TEST(csv_reader, names_file_line_and_column_of_a_non_numeric_cell) {
  EXPECT_EQ(csv_error("a,b,c\n1,2,3\n4,5,6\n7,8,9\n1,2,3\n4,5,6\n7,8,abc\n"),
            "data.csv:7:3: cell \"abc\" is not a number");
  EXPECT_EQ(csv_error("a,b\n1,1.5abc\n"), "data.csv:2:2: cell \"1.5abc\" is not a number");
  EXPECT_EQ(csv_error("a,b\n0x10,1\n"), "data.csv:2:1: cell \"0x10\" is not a number");
  EXPECT_EQ(csv_error("a,b\n1,+-2\n"), "data.csv:2:2: cell \"+-2\" is not a number");
  EXPECT_EQ(csv_error("a,b\n1,++2\n"), "data.csv:2:2: cell \"++2\" is not a number");
  EXPECT_EQ(csv_error("a,b\n1,+\n"), "data.csv:2:2: cell \"+\" is not a number");
  EXPECT_EQ(csv_error("a,b\n1,2 3\n"), "data.csv:2:2: cell \"2 3\" is not a number");
  EXPECT_EQ(csv_error("a,b\n1,\"x\"\"y\"\n"), "data.csv:2:2: cell \"x\\\"y\" is not a number");
}

TEST(csv_reader, counts_lines_physically_including_blank_ones) {
  EXPECT_EQ(csv_error("a,b\r\n\r\n1,2\r\n   \r\n3,x\r\n"), "data.csv:5:2: cell \"x\" is not a number");
}

TEST(csv_reader, names_expected_and_found_field_counts_of_a_ragged_row) {
  EXPECT_EQ(csv_error("a,b,c\n1,2,3\n4,5\n"),
            "data.csv:3:3: row has 2 fields, but the header has 3");
  EXPECT_EQ(csv_error("a,b,c\n1,2,3,4,5\n"),
            "data.csv:2:4: row has 5 fields, but the header has 3");
}

TEST(csv_reader, names_an_empty_cell) {
  EXPECT_EQ(csv_error("a,b,c\n1,,3\n"), "data.csv:2:2: cell is empty");
  EXPECT_EQ(csv_error("a,b,c\n1,2,  \n"), "data.csv:2:3: cell is empty");
  EXPECT_EQ(csv_error("a,b\n\"\",1\n"), "data.csv:2:1: cell is empty");
  EXPECT_EQ(csv_error("a,b\n\" \",1\n"), "data.csv:2:1: cell is empty");
  EXPECT_EQ(csv_error("a,b\n1,2,\n"), "data.csv:2:3: row has 3 fields, but the header has 2");
}

TEST(csv_reader, rejects_nan_and_infinity_by_default) {
  EXPECT_EQ(csv_error("a,b\n1,nan\n"),
            "data.csv:2:2: cell \"nan\" is not a finite number (NaN and infinity are rejected)");
  EXPECT_EQ(csv_error("a,b\n1,2\n-inf,2\n"),
            "data.csv:3:1: cell \"-inf\" is not a finite number (NaN and infinity are rejected)");
  EXPECT_EQ(csv_error("a,b\n1,Infinity\n"),
            "data.csv:2:2: cell \"Infinity\" is not a finite number (NaN and infinity are rejected)");
  EXPECT_EQ(csv_error("a,b\n1,1e400\n"), "data.csv:2:2: cell \"1e400\" is out of the range of a double");
}

TEST(csv_reader, accepts_nan_and_infinity_when_allowed) {
  Table t = parse("a,b\nnan,inf\n-inf,1\n", {.allow_non_finite = true});
  EXPECT_TRUE(std::isnan(t.values[0]));
  EXPECT_EQ(t.values[1], std::numeric_limits<double>::infinity());
  EXPECT_EQ(t.values[2], -std::numeric_limits<double>::infinity());
}

TEST(csv_reader, names_a_missing_file_and_the_reason) {
  TempDir dir;
  const std::string path = dir.path("x.csv");
  EXPECT_EQ(thrown_message<FormatError>([&] { read_csv(path); }),
            "cannot open '" + path + "': No such file or directory");
}

TEST(csv_reader, names_an_empty_file) {
  const std::string expected = "data.csv: file is empty; expected a header row of column names";
  EXPECT_EQ(csv_error(""), expected);
  EXPECT_EQ(csv_error("\xEF\xBB\xBF"), expected);
  EXPECT_EQ(csv_error("\n\r\n  \n"), expected);
}

TEST(csv_reader, names_a_header_without_data_rows) {
  EXPECT_EQ(csv_error("a,b,c\n"), "data.csv: no data rows after the header on line 1");
  EXPECT_EQ(csv_error("\na,b,c\r\n\r\n\r\n"), "data.csv: no data rows after the header on line 2");
  EXPECT_EQ(csv_error("a,b,c"), "data.csv: no data rows after the header on line 1");
}

TEST(csv_reader, says_a_binary_file_is_not_a_text_csv) {
  EXPECT_EQ(csv_error("a,b\n1,\0\x01\x02\n"s),
            "data.csv:2:2: the file is not a text CSV (it contains the byte 0x00, a NUL)");
  EXPECT_EQ(csv_error("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"s),
            "data.csv:2:1: the file is not a text CSV (it contains the byte 0x1a)");
  EXPECT_EQ(csv_error("a\0b,c\n1,2\n"s),
            "data.csv:1:1: the file is not a text CSV (it contains the byte 0x00, a NUL)");
  EXPECT_EQ(csv_error("a,b\r1,2\r"s),
            "data.csv:1:2: the file is not a text CSV (it contains the byte 0x0d, a carriage "
            "return inside a line)");
}

TEST(csv_reader, names_quoting_mistakes) {
  EXPECT_EQ(csv_error("a,b\n1,\"2\n"), "data.csv:2:2: quoted field is not closed on this line");
  EXPECT_EQ(csv_error("a,b\n\"1\"x,2\n"), "data.csv:2:1: unexpected character 'x' after the closing quote");
}

TEST(csv_reader, names_a_repeated_column_name) {
  EXPECT_EQ(csv_error("a,b,a\n1,2,3\n"), "data.csv:1:3: column name \"a\" repeats column 1");
  // The first repeat is named, with the first column it repeats; empty names may repeat.
  EXPECT_EQ(csv_error(",a,,b,c,b,a\n1,2,3,4,5,6,7\n"), "data.csv:1:6: column name \"b\" repeats column 4");
}

// Regression: the check for repeated names compared every pair of columns, so a header of
// 200000 names took tens of seconds (quadratic). Linear, it takes milliseconds (a second or
// so under the sanitizers); 10 s leaves room for a loaded machine and would still fail.
TEST(csv_reader, reads_a_wide_header_in_linear_time) {
  constexpr int n = 200'000;
  std::string header, row;
  for (int i = 0; i < n; ++i) {
    header += (i ? ",c" : "c") + std::to_string(i);
    row += i ? ",1" : "1";
  }
  const auto start = std::chrono::steady_clock::now();
  const Table t = parse(header + "\n" + row + "\n");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(t.cols(), n);
  EXPECT_EQ(t.columns.back(), "c" + std::to_string(n - 1));
  EXPECT_LT(seconds, 10.0);
  EXPECT_EQ(csv_error(header + ",c" + std::to_string(n - 1) + "\n" + row + ",1\n"),
            "data.csv:1:" + std::to_string(n + 1) + ": column name \"c" + std::to_string(n - 1) +
                "\" repeats column " + std::to_string(n));
}

TEST(csv_reader, names_a_delimiter_that_cannot_work) {
  EXPECT_EQ(thrown_message<InvalidArgument>([] { parse("a\n1\n", {.delimiter = '"'}); }),
            "CsvOptions: argument 'delimiter' is '\\\"', but must not be a quote, space, line "
            "break, digit or part of a number");
}

TEST(csv_reader, shows_long_and_binary_cells_shortened_and_escaped) {
  const std::string long_cell(100, 'z');
  EXPECT_EQ(csv_error("a\n" + long_cell + "\n"),
            "data.csv:2:1: cell \"" + std::string(60, 'z') + "...\" is not a number");
  EXPECT_EQ(csv_error("a\n\x7f\n"), "data.csv:2:1: cell \"\\x7f\" is not a number");
}

// ---------------------------------------------------------------- odd but valid

TEST(csv_reader, reads_column_names_and_a_row_major_matrix) {
  Table t = parse("x1,x2,y\n1,2,0\n3,4,1\n");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"x1", "x2", "y"}));
  EXPECT_EQ(t.values.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.values.dtype(), DType::f64);
  EXPECT_EQ(t.values.to_vector(), (std::vector<double>{1, 2, 0, 3, 4, 1}));
  EXPECT_EQ(t.rows(), 2);
  EXPECT_EQ(t.cols(), 3);
}

TEST(csv_reader, accepts_crlf_line_endings) {
  EXPECT_EQ(parse("a,b\r\n1,2\r\n3,4\r\n").values.to_vector(), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(parse("a,b\r\n1,2\r\n").columns, (std::vector<std::string>{"a", "b"}));
}

TEST(csv_reader, accepts_a_utf8_byte_order_mark) {
  Table t = parse("\xEF\xBB\xBFx,y\n1,2\n");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"x", "y"}));
}

TEST(csv_reader, accepts_quoted_numeric_fields) {
  Table t = parse("\"a\",\"b\"\n\"1.5\", \" -2 \" \n");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.values.to_vector(), (std::vector<double>{1.5, -2}));
}

TEST(csv_reader, accepts_quoted_names_with_delimiters_and_quotes) {
  Table t = parse("\"a,b\",\"say \"\"hi\"\"\", c \n1,2,3\n");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"a,b", "say \"hi\"", "c"}));
}

TEST(csv_reader, accepts_blank_lines_anywhere_and_no_final_newline) {
  EXPECT_EQ(parse("\n\na,b\n\n1,2\n \t \n3,4\n\n\n\n").values.to_vector(),
            (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(parse("a,b\n1,2\n3,4").values.to_vector(), (std::vector<double>{1, 2, 3, 4}));
}

TEST(csv_reader, accepts_scientific_notation_and_other_number_spellings) {
  Table t = parse("a\n1e-3\n2.5E+10\n-3e2\n.5\n5.\n+7\n-0\n 8 \n\t9\t\n1e-310\n1e-400\n");
  const std::vector<double> expected = {1e-3, 2.5e10, -300, 0.5, 5, 7, -0.0, 8, 9, 1e-310, 0};
  ASSERT_EQ(t.values.numel(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(t.values[static_cast<int64_t>(i)], expected[i]) << i;
  EXPECT_TRUE(std::signbit(t.values[6]));
}

TEST(csv_reader, reads_doubles_exactly) {
  Table t = parse("a,b\n0.1,2.2250738585072014e-308\n1.7976931348623157e308,0.30000000000000004\n");
  EXPECT_EQ(t.values.to_vector(),
            (std::vector<double>{0.1, 2.2250738585072014e-308, 1.7976931348623157e308,
                                 0.30000000000000004}));
}

TEST(csv_reader, accepts_an_empty_column_name_such_as_a_pandas_index) {
  Table t = parse(",a,b\n0,1,2\n1,3,4\n");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"", "a", "b"}));
}

TEST(csv_reader, reads_a_single_column) {
  EXPECT_EQ(parse("y\n1\n0\n").values.shape(), (Shape{2, 1}));
}

TEST(csv_reader, takes_another_delimiter) {
  EXPECT_EQ(parse("a;b\n1.5;2\n", {.delimiter = ';'}).values.to_vector(), (std::vector<double>{1.5, 2}));
  EXPECT_EQ(csv_error("a;b\n1,5;2\n", {.delimiter = ';'}),
            "data.csv:2:1: cell \"1,5\" is not a number");
  Table tab = parse("a\tb\n 1\t2\n", {.delimiter = '\t'});
  EXPECT_EQ(tab.values.to_vector(), (std::vector<double>{1, 2}));
  EXPECT_EQ(csv_error("a\tb\n1\t\t\n", {.delimiter = '\t'}),
            "data.csv:2:3: row has 3 fields, but the header has 2");
}

TEST(csv_reader, read_csv_equals_parse_csv) {
  TempDir dir;
  const std::string text = "\xEF\xBB\xBFp,q\r\n1,2\r\n3,4e1\r\n";
  EXPECT_EQ(read_csv(dir.write("t.csv", text)).values.to_vector(), parse(text).values.to_vector());
}

TEST(csv_reader, never_crashes_on_mangled_input) {
  // Truncations and random byte changes of a valid file: every outcome must be a Table or a
  // FormatError (ASan/UBSan builds check the memory side).
  const std::string base = "\xEF\xBB\xBF\"x\",y,z\r\n1.5,\"2\",3e4\r\n-1,+2,.5\r\n\r\n";
  for (size_t n = 0; n <= base.size(); ++n) {
    try {
      parse(base.substr(0, n));
    } catch (const FormatError&) {
    }
  }
  Philox rng(42);
  std::vector<uint32_t> r(4);
  for (uint64_t trial = 0; trial < 3000; ++trial) {
    std::string s = base;
    rng.bits(r.data(), 4, 0, trial);
    for (int k = 0; k < 3; ++k) s[r[k] % s.size()] = static_cast<char>(r[3] >> (8 * k));
    try {
      Table t = parse(s);
      EXPECT_EQ(t.values.numel(), t.rows() * t.cols());
    } catch (const FormatError&) {
    }
  }
}

// ---------------------------------------------------------------- writing

TEST(csv_writer, writes_values_that_read_back_exactly) {
  TempDir dir;
  const std::string path = dir.path("out.csv");
  Tensor rows(DType::f64, {2, 3}, {0.1, -2.5e-300, 1e300, 1.0 / 3.0, 0, 42});
  write_csv(path, {"a", "b,c", " d"}, rows);
  Table t = read_csv(path);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"a", "b,c", " d"}));
  EXPECT_EQ(t.values.to_vector(), rows.to_vector());
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"out.csv"}));  // no temporary file left
}

TEST(csv_writer, writes_float32_in_its_shortest_form) {
  TempDir dir;
  const std::string path = dir.path("f.csv");
  write_csv(path, {"v"}, Tensor(DType::f32, {2, 1}, {0.1, 2}));
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "v\n0.1\n2\n");
}

TEST(csv_writer, round_trips_a_table) {
  TempDir dir;
  Table t = parse("x,y\n1,2\n3,4\n");
  write_csv(dir.path("t.csv"), t);
  EXPECT_EQ(read_csv(dir.path("t.csv")).values.to_vector(), t.values.to_vector());
}

TEST(csv_writer, names_a_shape_that_does_not_fit_the_header) {
  TempDir dir;
  EXPECT_EQ(thrown_message<ShapeError>([&] {
              write_csv(dir.path("x.csv"), {"a", "b"}, Tensor(DType::f64, {2, 3}));
            }),
            "write_csv: argument 'rows' has shape [2,3], but the header has 2 names, so must be [N, 2]");
  EXPECT_TRUE(dir.files().empty());
}

TEST(csv_writer, names_an_unwritable_path_and_leaves_nothing_behind) {
  TempDir dir;
  const std::string path = dir.path("missing/x.csv");
  EXPECT_EQ(thrown_message<FormatError>(
                [&] { write_csv(path, {"a"}, Tensor(DType::f64, {1, 1}, {1})); }),
            "cannot write '" + path + "': No such file or directory");
  EXPECT_TRUE(dir.files().empty());
}

}  // namespace
}  // namespace elbo::data
