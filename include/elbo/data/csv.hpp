#pragma once
// Numeric CSV files: a header row of column names, then rows of numbers.
//
// Accepted: CRLF or LF line endings, a UTF-8 byte order mark, fields in double quotes
// ("1.5", "a,b" with "" for a quote), spaces or tabs around fields, a leading '+', scientific
// notation, blank lines (skipped, anywhere). Rejected with a FormatError of the form
// `data.csv:7:3: cell "abc" is not a number` (file:line:column, the column counted in
// fields, both 1-based): non-numeric, empty or non-finite cells, rows whose field count
// differs from the header's, unclosed quotes, repeated column names, control bytes such as
// NUL (the file is not a text CSV), an empty file and a header without data rows.
#include <string>
#include <string_view>
#include <vector>

#include "elbo/data/table.hpp"
#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo::data {

struct CsvOptions {
  char delimiter = ',';          ///< field separator; not a quote, space or line break
  bool allow_non_finite = false; ///< accept "nan", "inf", "-inf" cells
};

/// Parses CSV text held in memory. `name_for_messages` is the file name that error messages
/// start with. Never crashes or reads out of bounds on any input (a fuzzing entry point).
/// Throws FormatError for bad input, InvalidArgument for a bad delimiter.
Table parse_csv(std::string_view text, const std::string& name_for_messages,
                const CsvOptions& options = {});

/// Reads and parses a CSV file (see parse_csv). Throws FormatError if it cannot be opened:
/// "cannot open 'x.csv': No such file or directory".
Table read_csv(const std::string& path, const CsvOptions& options = {});

/// Writes a header and the rows of a [N, header.size()] tensor as CSV, atomically (see
/// write_file_atomically). Numbers are written in the shortest form that reads back to the
/// same value; names containing a comma, quote or surrounding space are quoted.
/// Throws ShapeError if `rows` is not [N, header.size()], FormatError if writing fails.
void write_csv(const std::string& path, const std::vector<std::string>& header,
               const Tensor& rows);
void write_csv(const std::string& path, const Table& table);

}  // namespace elbo::data
ELBO_API_END
