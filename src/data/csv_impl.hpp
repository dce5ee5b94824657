#pragma once
// Shared by the in-memory CSV reader and the streaming one, so that both accept, reject and
// report exactly the same things.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "elbo/data/csv.hpp"

namespace elbo::data::detail {

/// The whole content of a file. Throws FormatError "cannot open 'x': <reason>" or
/// "cannot read 'x': <reason>".
std::string read_whole_file(const std::string& path);

/// `s` made printable for a message: quotes, backslashes and control bytes escaped, cut to
/// about 60 bytes.
std::string printable(std::string_view s);

/// Parses one line at a time. A line is given without its '\n'.
class CsvLineParser {
 public:
  /// Throws InvalidArgument for a delimiter that cannot work.
  CsvLineParser(std::string name, const CsvOptions& options);

  /// Drops a trailing '\r' and, on line 1, a UTF-8 byte order mark.
  std::string_view normalize(std::string_view line, int64_t line_no) const;
  /// A normalized line with nothing but spaces and tabs (skipped everywhere).
  bool is_blank(std::string_view line) const;

  /// Reads the column names from a normalized, non-blank line.
  void parse_header(std::string_view line, int64_t line_no);
  /// Parses a normalized, non-blank data line into out[0 .. columns().size()).
  void parse_row(std::string_view line, int64_t line_no, double* out);

  const std::vector<std::string>& columns() const { return columns_; }
  const std::string& name() const { return name_; }

  [[noreturn]] void fail_empty_file() const;
  [[noreturn]] void fail_no_data_rows(int64_t header_line) const;

 private:
  void split(std::string_view line, int64_t line_no);
  double parse_number(const std::string& cell, int64_t line_no, int64_t col) const;
  [[noreturn]] void fail(int64_t line_no, int64_t col, const std::string& what) const;
  bool is_space(char c) const { return (c == ' ' || c == '\t') && c != delimiter_; }

  std::string name_;
  char delimiter_;
  bool allow_non_finite_;
  std::vector<std::string> columns_;
  std::vector<std::string> fields_;  // reused between lines
  size_t field_count_ = 0;
};

}  // namespace elbo::data::detail
