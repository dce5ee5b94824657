#include "elbo/data/csv_batch_reader.hpp"

#include <sys/types.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "csv_impl.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::data {

struct CsvBatchReader::State {
  State(const std::string& p, const CsvOptions& options) : path(p), parser(p, options) {}
  ~State() {
    if (file) std::fclose(file);
    std::free(buffer);
  }

  // The next physical line without its '\n', or false at the end of the file.
  bool read_line(std::string_view& line) {
    const ssize_t n = ::getline(&buffer, &capacity, file);
    if (n < 0) {
      if (std::ferror(file)) throw FormatError("cannot read '" + path + "': " + std::strerror(errno));
      return false;
    }
    line = std::string_view(buffer, static_cast<size_t>(n));
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    line = parser.normalize(line, ++line_no);
    return true;
  }

  // Moves to the next non-blank line; false at the end of the file.
  bool next_content_line(std::string_view& line) {
    while (read_line(line))
      if (!parser.is_blank(line)) return true;
    return false;
  }

  void seek(off_t offset, int64_t line) {
    if (::fseeko(file, offset, SEEK_SET) != 0)
      throw FormatError("cannot read '" + path + "': " + std::strerror(errno));
    line_no = line;
  }

  off_t tell() {
    const off_t at = ::ftello(file);
    if (at < 0) throw FormatError("cannot read '" + path + "': " + std::strerror(errno));
    return at;
  }

  std::string path;
  detail::CsvLineParser parser;
  std::FILE* file = nullptr;
  char* buffer = nullptr;
  size_t capacity = 0;
  int64_t line_no = 0;
  off_t data_offset = 0;  // just after the header line
  int64_t data_line = 0;  // the header's line number
  std::vector<double> row;
};

CsvBatchReader::CsvBatchReader(const std::string& path, const CsvOptions& options)
    : state_(std::make_unique<State>(path, options)) {
  State& s = *state_;
  s.file = std::fopen(path.c_str(), "rb");
  if (!s.file) throw FormatError("cannot open '" + path + "': " + std::strerror(errno));
  std::string_view line;
  if (!s.next_content_line(line)) s.parser.fail_empty_file();
  s.parser.parse_header(line, s.line_no);
  s.data_line = s.line_no;
  s.data_offset = s.tell();
  // read_csv rejects a header without rows; so do we, without reading further than the
  // first data line.
  if (!s.next_content_line(line)) s.parser.fail_no_data_rows(s.data_line);
  s.seek(s.data_offset, s.data_line);
  s.row.resize(s.parser.columns().size());
}

CsvBatchReader::~CsvBatchReader() = default;
CsvBatchReader::CsvBatchReader(CsvBatchReader&&) noexcept = default;
CsvBatchReader& CsvBatchReader::operator=(CsvBatchReader&&) noexcept = default;

bool CsvBatchReader::next(int64_t batch_rows, Tensor& x_out) {
  if (batch_rows < 1)
    throw InvalidArgument("CsvBatchReader::next: argument 'batch_rows' is " +
                          std::to_string(batch_rows) + ", but must be positive");
  State& s = *state_;
  const auto cols = static_cast<int64_t>(s.row.size());
  std::vector<double> values;
  int64_t b = 0;
  std::string_view line;
  while (b < batch_rows && s.next_content_line(line)) {
    values.resize(static_cast<size_t>((b + 1) * cols));
    s.parser.parse_row(line, s.line_no, values.data() + b * cols);
    ++b;
  }
  if (b == 0) return false;
  x_out = Tensor(DType::f64, Shape{b, cols}, values);
  return true;
}

void CsvBatchReader::reset() { state_->seek(state_->data_offset, state_->data_line); }

int64_t CsvBatchReader::count_rows() {
  State& s = *state_;
  const off_t here = s.tell();
  const int64_t here_line = s.line_no;
  s.seek(s.data_offset, s.data_line);
  int64_t n = 0;
  std::string_view line;
  while (s.next_content_line(line)) ++n;
  s.seek(here, here_line);
  return n;
}

const std::vector<std::string>& CsvBatchReader::columns() const { return state_->parser.columns(); }
const std::string& CsvBatchReader::path() const { return state_->path; }

}  // namespace elbo::data
