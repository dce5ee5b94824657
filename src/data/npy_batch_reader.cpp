#include "elbo/data/npy_batch_reader.hpp"

#include <sys/types.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "elbo/graph/error.hpp"
#include "npy_impl.hpp"

namespace elbo::data {

struct NpyBatchReader::State {
  ~State() {
    if (file) std::fclose(file);
  }

  [[noreturn]] void fail_io() const {
    throw FormatError("cannot read '" + path + "': " + std::strerror(errno));
  }

  // Reads exactly `n` bytes at `offset` into `out`.
  void read_at(int64_t offset, int64_t n, char* out) const {
    if (::fseeko(file, static_cast<off_t>(offset), SEEK_SET) != 0) fail_io();
    if (std::fread(out, 1, static_cast<size_t>(n), file) != static_cast<size_t>(n)) {
      if (std::ferror(file)) fail_io();
      throw FormatError(path + ": file shrank while reading: " + std::to_string(n) +
                        " bytes at offset " + std::to_string(offset) + " are missing");
    }
  }

  std::string path;
  std::FILE* file = nullptr;
  detail::NpyHeader header;
  Shape rest;            // shape()[1:]
  int64_t row_size = 1;  // elements per row
  int64_t next_row = 0;
  std::vector<char> buffer;
};

NpyBatchReader::NpyBatchReader(const std::string& path) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = path;
  s.file = std::fopen(path.c_str(), "rb");
  if (!s.file) throw FormatError("cannot open '" + path + "': " + std::strerror(errno));
  if (::fseeko(s.file, 0, SEEK_END) != 0) s.fail_io();
  const off_t size = ::ftello(s.file);
  if (size < 0) s.fail_io();
  // The preamble first, to learn how long the header is; then preamble and header.
  std::string head(static_cast<size_t>(std::min<int64_t>(size, detail::npy_preamble_size)), '\0');
  s.read_at(0, static_cast<int64_t>(head.size()), head.data());
  const int64_t end = detail::npy_header_end(head, size, path);
  head.resize(static_cast<size_t>(end));
  s.read_at(0, end, head.data());
  s.header = detail::parse_npy_header(head, size, path);
  if (s.header.shape.empty())
    throw FormatError(path + ": the array is a scalar (shape ()); it has no rows to read in batches");
  s.rest.assign(s.header.shape.begin() + 1, s.header.shape.end());
  s.row_size = numel(s.rest);
}

NpyBatchReader::~NpyBatchReader() = default;
NpyBatchReader::NpyBatchReader(NpyBatchReader&&) noexcept = default;
NpyBatchReader& NpyBatchReader::operator=(NpyBatchReader&&) noexcept = default;

bool NpyBatchReader::next(int64_t batch_rows, Tensor& x_out) {
  if (batch_rows < 1)
    throw InvalidArgument("NpyBatchReader::next: argument 'batch_rows' is " +
                          std::to_string(batch_rows) + ", but must be positive");
  State& s = *state_;
  const detail::NpyHeader& h = s.header;
  const int64_t n_rows = h.shape[0];
  if (s.next_row >= n_rows) return false;
  const int64_t b = std::min(batch_rows, n_rows - s.next_row);
  Shape shape = h.shape;
  shape[0] = b;
  Tensor out(h.dtype(), shape);
  if (!h.fortran_order || h.shape.size() < 2) {
    // C order: the rows are one contiguous run.
    const int64_t bytes = b * s.row_size * h.itemsize;
    s.buffer.resize(static_cast<size_t>(bytes));
    s.read_at(h.data_offset + s.next_row * s.row_size * h.itemsize, bytes, s.buffer.data());
    detail::decode_npy(s.buffer.data(), b * s.row_size, h.kind, out, 0, 1);
  } else {
    // Fortran order: axis 0 varies fastest, so for each position j within a row the batch's
    // values are one contiguous run of b elements starting at row next_row.
    s.buffer.resize(static_cast<size_t>(b * h.itemsize));
    for (int64_t j = 0; j < s.row_size; ++j) {
      const int64_t element = detail::fortran_offset(s.rest, j) * n_rows + s.next_row;
      s.read_at(h.data_offset + element * h.itemsize, b * h.itemsize, s.buffer.data());
      detail::decode_npy(s.buffer.data(), b, h.kind, out, j, s.row_size);
    }
  }
  s.next_row += b;
  x_out = std::move(out);
  return true;
}

void NpyBatchReader::reset() { state_->next_row = 0; }
void NpyBatchReader::seek(int64_t row) {
  if (row < 0 || row > rows())
    throw InvalidArgument(state_->path + ": cannot seek to row " + std::to_string(row) + " of " +
                          std::to_string(rows()));
  state_->next_row = row;
}
const Shape& NpyBatchReader::shape() const { return state_->header.shape; }
DType NpyBatchReader::dtype() const { return state_->header.dtype(); }
const std::string& NpyBatchReader::path() const { return state_->path; }

}  // namespace elbo::data
