#include "elbo/data/csv.hpp"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <locale.h>
#include <unordered_map>

#include "csv_impl.hpp"
#include "elbo/data/atomic_file.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::data {

namespace detail {

std::string read_whole_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw FormatError("cannot open '" + path + "': " + std::strerror(errno));
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const size_t n = std::fread(buf, 1, sizeof buf, f);
    text.append(buf, n);
    if (n < sizeof buf) break;
  }
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) throw FormatError("cannot read '" + path + "': " + std::strerror(err));
  return text;
}

std::string printable(std::string_view s) {
  constexpr size_t limit = 60;
  std::string out;
  for (size_t i = 0; i < s.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > limit) out += "...";
  return out;
}

CsvLineParser::CsvLineParser(std::string name, const CsvOptions& options)
    : name_(std::move(name)),
      delimiter_(options.delimiter),
      allow_non_finite_(options.allow_non_finite) {
  const char d = delimiter_;
  if (d == '"' || d == ' ' || d == '\n' || d == '\r' || d == '\0' || d == '+' || d == '-' ||
      d == '.' || (d >= '0' && d <= '9') || d == 'e' || d == 'E')
    throw InvalidArgument("CsvOptions: argument 'delimiter' is '" + printable(std::string(1, d)) +
                          "', but must not be a quote, space, line break, digit or part of a "
                          "number");
}

std::string_view CsvLineParser::normalize(std::string_view line, int64_t line_no) const {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  return line;
}

bool CsvLineParser::is_blank(std::string_view line) const {
  for (char c : line)
    if (!is_space(c)) return false;
  return true;
}

void CsvLineParser::fail(int64_t line_no, int64_t col, const std::string& what) const {
  throw FormatError(name_ + ":" + std::to_string(line_no) + ":" + std::to_string(col) + ": " +
                    what);
}

void CsvLineParser::fail_empty_file() const {
  throw FormatError(name_ + ": file is empty; expected a header row of column names");
}

void CsvLineParser::fail_no_data_rows(int64_t header_line) const {
  throw FormatError(name_ + ": no data rows after the header on line " +
                    std::to_string(header_line));
}

// Splits a line into fields_[0 .. field_count_): RFC 4180 quoting within the line, spaces
// and tabs around fields dropped. Control bytes mean the file is binary, not text.
void CsvLineParser::split(std::string_view line, int64_t line_no) {
  field_count_ = 0;
  const size_t n = line.size();
  size_t pos = 0;
  int64_t col = 1;
  auto check_byte = [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t') {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", u);
      fail(line_no, col,
           std::string("the file is not a text CSV (it contains the byte ") + hex +
               (c == '\0' ? ", a NUL" : c == '\r' ? ", a carriage return inside a line" : "") +
               ")");
    }
  };
  for (;;) {
    if (field_count_ == fields_.size()) fields_.emplace_back();
    std::string& field = fields_[field_count_];
    field.clear();
    while (pos < n && is_space(line[pos])) ++pos;
    if (pos < n && line[pos] == '"') {
      ++pos;
      for (;;) {
        if (pos >= n) fail(line_no, col, "quoted field is not closed on this line");
        const char c = line[pos];
        check_byte(c);
        if (c == '"') {
          if (pos + 1 < n && line[pos + 1] == '"') {
            field += '"';
            pos += 2;
            continue;
          }
          ++pos;
          break;
        }
        field += c;
        ++pos;
      }
      while (pos < n && is_space(line[pos])) ++pos;
      if (pos < n && line[pos] != delimiter_) {
        check_byte(line[pos]);
        fail(line_no, col,
             "unexpected character '" + printable(line.substr(pos, 1)) +
                 "' after the closing quote");
      }
    } else {
      const size_t start = pos;
      while (pos < n && line[pos] != delimiter_) check_byte(line[pos++]);
      size_t end = pos;
      while (end > start && is_space(line[end - 1])) --end;
      field.assign(line.substr(start, end - start));
    }
    ++field_count_;
    if (pos >= n) break;
    ++pos;  // the delimiter
    ++col;
  }
}

void CsvLineParser::parse_header(std::string_view line, int64_t line_no) {
  split(line, line_no);
  columns_.assign(fields_.begin(), fields_.begin() + static_cast<std::ptrdiff_t>(field_count_));
  // A hash of the names seen so far: comparing every pair took minutes on a header of a few
  // hundred thousand columns.
  std::unordered_map<std::string_view, size_t> first_column;
  first_column.reserve(columns_.size());
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].empty()) continue;  // e.g. pandas' unnamed index column
    const auto [it, inserted] = first_column.emplace(columns_[i], i);
    if (!inserted)
      fail(line_no, static_cast<int64_t>(i + 1),
           "column name \"" + printable(columns_[i]) + "\" repeats column " +
               std::to_string(it->second + 1));
  }
}

namespace {
// strtod in the "C" locale, whatever the program's locale is.
double strtod_c(const std::string& s) {
  static locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
  return strtod_l(s.c_str(), nullptr, c_locale);
}
}  // namespace

double CsvLineParser::parse_number(const std::string& cell, int64_t line_no, int64_t col) const {
  if (cell.empty()) fail(line_no, col, "cell is empty");
  std::string_view s = cell;
  // Spaces inside quotes (" 1.5 ") are as harmless as outside.
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  if (s.empty()) fail(line_no, col, "cell is empty");
  // from_chars takes no '+'; numpy, pandas and Python do (but not "+-1").
  const bool plus = s.front() == '+';
  if (plus) s.remove_prefix(1);
  double value = 0.0;
  std::errc ec = std::errc::invalid_argument;
  if (!s.empty() && !(plus && s.front() == '-')) {
    const char* end = s.data() + s.size();
    auto [ptr, err] = std::from_chars(s.data(), end, value, std::chars_format::general);
    ec = ptr == end ? err : std::errc::invalid_argument;
  }
  if (ec == std::errc::invalid_argument)
    fail(line_no, col, "cell \"" + printable(cell) + "\" is not a number");
  if (ec == std::errc::result_out_of_range) {
    // Overflow or underflow: let strtod decide which (and keep subnormals).
    value = strtod_c(std::string(s));
    if (std::isinf(value))
      fail(line_no, col, "cell \"" + printable(cell) + "\" is out of the range of a double");
  }
  if (!allow_non_finite_ && !std::isfinite(value))
    fail(line_no, col,
         "cell \"" + printable(cell) + "\" is not a finite number (NaN and infinity are rejected)");
  return value;
}

void CsvLineParser::parse_row(std::string_view line, int64_t line_no, double* out) {
  split(line, line_no);
  const size_t expected = columns_.size();
  if (field_count_ != expected)
    fail(line_no, static_cast<int64_t>(std::min(field_count_, expected) + 1),
         "row has " + std::to_string(field_count_) + " fields, but the header has " +
             std::to_string(expected));
  for (size_t i = 0; i < expected; ++i)
    out[i] = parse_number(fields_[i], line_no, static_cast<int64_t>(i + 1));
}

}  // namespace detail

Table parse_csv(std::string_view text, const std::string& name_for_messages,
                const CsvOptions& options) {
  detail::CsvLineParser parser(name_for_messages, options);
  std::vector<double> values;
  bool have_header = false;
  int64_t header_line = 0, rows = 0, line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = parser.normalize(text.substr(pos, nl - pos), ++line_no);
    pos = nl + 1;
    if (parser.is_blank(line)) continue;
    if (!have_header) {
      parser.parse_header(line, line_no);
      have_header = true;
      header_line = line_no;
      continue;
    }
    const size_t cols = parser.columns().size();
    values.resize(values.size() + cols);
    parser.parse_row(line, line_no, values.data() + values.size() - cols);
    ++rows;
  }
  if (!have_header) parser.fail_empty_file();
  if (rows == 0) parser.fail_no_data_rows(header_line);
  const auto cols = static_cast<int64_t>(parser.columns().size());
  return Table{parser.columns(), Tensor(DType::f64, Shape{rows, cols}, values)};
}

Table read_csv(const std::string& path, const CsvOptions& options) {
  return parse_csv(detail::read_whole_file(path), path, options);
}

namespace {
std::string csv_name(const std::string& s) {
  const bool quote = s.find_first_of(",\"\n\r\t") != std::string::npos ||
                     (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + '"';
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 64 bytes always suffice for the shortest form
  out.append(buf, ptr);
}
}  // namespace

void write_csv(const std::string& path, const std::vector<std::string>& header, const Tensor& rows) {
  const auto cols = static_cast<int64_t>(header.size());
  if (rows.rank() != 2 || rows.dim(1) != cols)
    throw ShapeError("write_csv: argument 'rows' has shape " + shape_str(rows.shape()) +
                     ", but the header has " + std::to_string(cols) + " names, so must be [N, " +
                     std::to_string(cols) + "]");
  std::string out;
  for (int64_t c = 0; c < cols; ++c) {
    if (c) out += ',';
    out += csv_name(header[static_cast<size_t>(c)]);
  }
  out += '\n';
  const int64_t n = rows.dim(0);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      if (c) out += ',';
      if (rows.dtype() == DType::f32)
        append_number(out, rows.data<float>()[r * cols + c]);
      else
        append_number(out, rows.data<double>()[r * cols + c]);
    }
    out += '\n';
  }
  write_file_atomically(path, out);
}

void write_csv(const std::string& path, const Table& table) {
  write_csv(path, table.columns, table.values);
}

}  // namespace elbo::data
