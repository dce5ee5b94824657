#include "row_share.hpp"

#include <bit>
#include <cmath>
#include <cstdio>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "data_loading.hpp"
#include "elbo/data/csv.hpp"
#include "elbo/data/npy_batch_reader.hpp"
#include "elbo/graph/error.hpp"
#include "elbo/vi/exact_sum.hpp"

namespace elbo::cli {

std::vector<std::string> shard_paths(const std::string& train) {
  std::vector<std::string> paths;
  size_t start = 0;
  while (start <= train.size()) {
    const size_t comma = train.find(',', start);
    const std::string path = train.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (path.empty()) throw FormatError("--train: an empty file name in the list '" + train + "'");
    paths.push_back(path);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return paths;
}

namespace {

void fill_block_layout(RowShare& share, int64_t N, int64_t block_rows, const Communicator& comm) {
  const int64_t blocks = (N + block_rows - 1) / block_rows, R = comm.size(), r = comm.rank();
  share.total_rows = N;
  share.first_block = r * blocks / R;
  const int64_t last_block = (r + 1) * blocks / R;
  share.blocks = last_block - share.first_block;
  share.first_row = std::min(N, share.first_block * block_rows);
}

// A CSV file: process 0 reads it once for the byte offset and line number of every block's
// first row (blank lines do not count; a line break inside quotes is refused); they reach
// every process in one allreduce; each process then reads only its blocks' bytes and
// parses them after the header.
RowShare read_csv_row_share(const std::string& path, int64_t block_rows, Communicator& comm) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError("cannot open '" + path + "': " + std::strerror(errno));
  std::vector<FixedPoint> layout(4, 0);  // rows, header end, header lines, file size
  std::vector<int64_t> starts, lines;    // per block (process 0)
  if (comm.rank() == 0) {
    int64_t offset = 0, line = 1, rows = 0, line_start = 0, header_end = -1;
    bool blank = true, quoted = false;
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      const std::streamsize got = in.gcount();
      for (std::streamsize i = 0; i < got; ++i, ++offset) {
        const char c = buf[i];
        if (c == '"') quoted = !quoted;
        if (c == '\n') {
          if (quoted)
            throw FormatError(path + ":" + std::to_string(line) + ": a line break inside quotes; a data-parallel "
                              "fit reads CSV rows line by line");
          if (!blank) {
            if (header_end < 0) {
              header_end = offset + 1;
              layout[2] = line;
            } else {
              if (rows % block_rows == 0) starts.push_back(line_start), lines.push_back(line);
              ++rows;
            }
          }
          ++line;
          line_start = offset + 1;
          blank = true;
        } else if (c != ' ' && c != '\t' && c != '\r') {
          blank = false;
        }
      }
      if (!in) break;
    }
    if (!blank && header_end >= 0) {  // a last row without a line break
      if (rows % block_rows == 0) starts.push_back(line_start), lines.push_back(line);
      ++rows;
    }
    if (header_end < 0 || rows == 0) throw FormatError(path + ": needs a header row and at least one data row");
    layout = {rows, header_end, layout[2], offset};
  }
  comm.allreduce_sum(layout);
  const int64_t N = static_cast<int64_t>(layout[0]), header_end = static_cast<int64_t>(layout[1]);
  const int64_t header_lines = static_cast<int64_t>(layout[2]), size = static_cast<int64_t>(layout[3]);
  const int64_t blocks = (N + block_rows - 1) / block_rows;
  std::vector<FixedPoint> where(static_cast<size_t>(2 * blocks), 0);
  for (size_t b = 0; b < starts.size(); ++b) where[2 * b] = starts[b], where[2 * b + 1] = lines[b];
  comm.allreduce_sum(where);
  RowShare share;
  fill_block_layout(share, N, block_rows, comm);
  const int64_t b0 = share.first_block, b1 = b0 + share.blocks;
  auto read_bytes = [&](int64_t from, int64_t to) {
    std::string text(static_cast<size_t>(to - from), '\0');
    in.clear();
    in.seekg(from);
    in.read(text.data(), to - from);
    return text;
  };
  if (share.blocks == 0) {  // no rows here: the columns, from the header and block 0
    const int64_t block0_end = blocks > 1 ? static_cast<int64_t>(where[2]) : size;
    share.table = data::parse_csv(read_bytes(0, header_end) + read_bytes(static_cast<int64_t>(where[0]), block0_end),
                                  path);
    share.table.values = Tensor(DType::f64, {0, share.table.cols()});
    return share;
  }
  const int64_t from = static_cast<int64_t>(where[2 * b0]);
  const int64_t to = b1 < blocks ? static_cast<int64_t>(where[2 * b1]) : size;
  const int64_t first_line = static_cast<int64_t>(where[2 * b0 + 1]);
  std::string text = read_bytes(0, header_end);
  if (text.empty() || text.back() != '\n') text += '\n';
  text += read_bytes(from, to);
  try {
    share.table = data::parse_csv(text, path);
  } catch (const FormatError& e) {
    // "path:L:C: ..." counts lines in the text parsed: the header's, then this process's.
    std::string m = e.what();
    const std::string prefix = path + ":";
    if (m.rfind(prefix, 0) == 0) {
      size_t end = prefix.size();
      while (end < m.size() && std::isdigit(static_cast<unsigned char>(m[end]))) ++end;
      if (end > prefix.size()) {
        const int64_t local = std::stoll(m.substr(prefix.size(), end - prefix.size()));
        const int64_t global = local <= header_lines ? local : first_line + (local - header_lines - 1);
        m = prefix + std::to_string(global) + m.substr(end);
      }
    }
    throw FormatError(m);
  }
  if (share.table.rows() != std::min(N, b1 * block_rows) - share.first_row)
    throw FormatError(path + ": changed while it was read");
  return share;
}

}  // namespace

RowShare read_row_share(const std::string& train, int64_t block_rows, Communicator& comm) {
  // The shards' headers give the rows of each; the rows are the shards' in list order.
  std::vector<std::string> paths = shard_paths(train);
  if (paths.size() == 1 && !is_npy_path(paths[0])) return read_csv_row_share(paths[0], block_rows, comm);
  std::vector<data::NpyBatchReader> readers;
  std::vector<int64_t> starts;  // each shard's first global row
  int64_t N = 0, cols = -1;
  for (const std::string& path : paths) {
    readers.emplace_back(path);
    const data::NpyBatchReader& reader = readers.back();
    if (reader.shape().size() != 2)
      throw FormatError(path + ": expected a 2-D array [rows, columns], got " +
                        std::to_string(reader.shape().size()) + " dimensions");
    if (cols >= 0 && reader.shape()[1] != cols)
      throw FormatError(path + ": has " + std::to_string(reader.shape()[1]) + " columns, but " + paths[0] + " has " +
                        std::to_string(cols) + "; every shard needs the same columns");
    cols = reader.shape()[1];
    starts.push_back(N);
    N += reader.rows();
  }
  if (N < 1 || cols < 1) throw FormatError(train + ": the data has no values");
  RowShare share;
  fill_block_layout(share, N, block_rows, comm);
  const int64_t end_row = std::min(N, (share.first_block + share.blocks) * block_rows), n = end_row - share.first_row;
  for (int64_t c = 0; c < cols; ++c) share.table.columns.push_back("c" + std::to_string(c));
  Tensor values(DType::f64, {n, cols});
  Tensor batch;
  for (size_t k = 0; k < readers.size(); ++k) {
    const int64_t shard_end = starts[k] + readers[k].rows();
    const int64_t from = std::max(share.first_row, starts[k]), to = std::min(end_row, shard_end);
    if (from >= to) continue;  // no rows of this process in this shard: only its header was read
    readers[k].seek(from - starts[k]);
    int64_t at = from;
    while (at < to && readers[k].next(std::min<int64_t>(to - at, 65536), batch)) {
      Tensor b64 = batch.to(DType::f64);
      const double* src = b64.data<double>();
      double* dst = values.data<double>() + (at - share.first_row) * cols;
      for (int64_t i = 0; i < b64.numel(); ++i) {
        if (!std::isfinite(src[i]))
          throw FormatError(paths[k] + ": row " + std::to_string(at - starts[k] + i / cols) + ", column " +
                            std::to_string(i % cols) + " is " + (std::isnan(src[i]) ? "NaN" : "infinite") +
                            "; every value must be finite");
        dst[i] = src[i];
      }
      at += b64.dim(0);
    }
  }
  share.table.values = std::move(values);
  return share;
}

data::Standardizer shared_standardizer(const Tensor& x, int64_t total_rows, Communicator& comm) {
  const int64_t n = x.dim(0), F = x.dim(1);
  std::vector<FixedPoint> sums(static_cast<size_t>(F + 1), 0);
  auto add = [&](size_t k, double v) {
    if (!fits_fixed_point(v))
      throw FormatError("data-parallel fit: a training value's magnitude (" + std::to_string(v) +
                        ") is too large for the exact sums of the statistics");
    sums[k] += to_fixed_point(v);
  };
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < F; ++c) add(static_cast<size_t>(c), x[r * F + c]);
  comm.allreduce_sum(sums);
  std::vector<double> mean(static_cast<size_t>(F)), sd(static_cast<size_t>(F), 1.0);
  for (int64_t c = 0; c < F; ++c)
    mean[static_cast<size_t>(c)] = from_fixed_point(sums[static_cast<size_t>(c)]) / static_cast<double>(total_rows);
  std::fill(sums.begin(), sums.end(), FixedPoint{0});
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < F; ++c) {
      const double d = x[r * F + c] - mean[static_cast<size_t>(c)];
      add(static_cast<size_t>(c), d * d);
    }
  comm.allreduce_sum(sums);
  for (int64_t c = 0; c < F; ++c) {
    const double v = std::sqrt(from_fixed_point(sums[static_cast<size_t>(c)]) / static_cast<double>(total_rows));
    const double eps = std::numeric_limits<double>::epsilon();
    const double m = mean[static_cast<size_t>(c)];
    sd[static_cast<size_t>(c)] = v <= 10.0 * eps * std::abs(m) || v == 0.0 ? 1.0 : v;  // Standardizer's rule
  }
  return data::Standardizer(mean, sd);
}

std::string shared_checksum(const RowShare& share, int64_t block_rows, Communicator& comm) {
  const int64_t cols = share.table.cols(), n = share.table.rows();
  std::vector<FixedPoint> sum(1, 0);
  for (int64_t b = 0; b < share.blocks; ++b) {
    uint64_t h = 0xcbf29ce484222325ull;
    auto eat = [&h](uint64_t u) {
      for (int k = 0; k < 8; ++k) {
        h ^= (u >> (8 * k)) & 0xff;
        h *= 0x100000001b3ull;
      }
    };
    eat(static_cast<uint64_t>(share.first_block + b));
    const int64_t r0 = b * block_rows, r1 = std::min(n, r0 + block_rows);
    for (int64_t i = r0 * cols; i < r1 * cols; ++i) eat(std::bit_cast<uint64_t>(share.table.values[i]));
    sum[0] += static_cast<FixedPoint>(h);
  }
  comm.allreduce_sum(sum);
  char hex[24];
  std::snprintf(hex, sizeof hex, "blocks:%016llx", static_cast<unsigned long long>(static_cast<uint64_t>(sum[0])));
  return hex;
}

}  // namespace elbo::cli
