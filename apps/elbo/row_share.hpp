#pragma once
// A data-parallel fit's view of its training file (docs/CLI.md, "Data-parallel fits"): the
// rows are cut into blocks of --block-rows from the first row; each process reads only the
// consecutive blocks that fall to it, and what needs every row (the standardisation
// statistics, the data checksum) is summed over the processes in fixed point, so that it
// is the same for any number of processes.
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/data/standardizer.hpp"
#include "elbo/data/table.hpp"
#include "elbo/vi/communicator.hpp"

namespace elbo::cli {

struct RowShare {
  data::Table table;       ///< this process's rows, every column (float64); NPY columns are c0, c1, ...
  int64_t total_rows = 0;  ///< of the whole file
  int64_t first_row = 0;   ///< the global index of table's first row
  int64_t first_block = 0;
  int64_t blocks = 0;      ///< held by this process
};

/// The files of `train`: one NPY file, or shards separated by commas ("a.npy,b.npy").
std::vector<std::string> shard_paths(const std::string& train);

/// Reads this process's blocks of the 2-D NPY file, or of the shards' rows one after the
/// other (the same columns in each; of a shard outside its rows only the header), or of a
/// CSV file (process 0 reads it once for the blocks' byte offsets, which reach the others
/// in one allreduce; each then reads only its blocks' bytes and the header). Throws
/// FormatError naming the file (and the row and column, or file:line:column, of a bad value).
RowShare read_row_share(const std::string& train, int64_t block_rows, Communicator& comm);

/// Standardizer::fit's statistics over every process's rows of x ([local rows, F]):
/// the mean and the population sd of each column from fixed-point sums (a column without
/// spread keeps sd 1). Every process gets the same values.
data::Standardizer shared_standardizer(const Tensor& x, int64_t total_rows, Communicator& comm);

/// A checksum of the whole file's values, from per-block hashes added over the processes:
/// the same for any number of processes (and different from a one-process fit's
/// data_checksum).
std::string shared_checksum(const RowShare& share, int64_t block_rows, Communicator& comm);

}  // namespace elbo::cli
