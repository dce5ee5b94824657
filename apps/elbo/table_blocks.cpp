#include "table_blocks.hpp"

#include <cmath>
#include <optional>

#include "data_loading.hpp"
#include "elbo/data/csv_batch_reader.hpp"
#include "elbo/data/npy_batch_reader.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::cli {

struct TableBlocks::Reader {
  std::optional<data::CsvBatchReader> csv;
  std::optional<data::NpyBatchReader> npy;
};

TableBlocks::TableBlocks(const std::string& path) : reader_(std::make_unique<Reader>()), path_(path) {
  if (!is_npy_path(path)) {
    reader_->csv.emplace(path);
    columns_ = reader_->csv->columns();
    return;
  }
  reader_->npy.emplace(path);
  const Shape& shape = reader_->npy->shape();
  if (shape.size() != 2)
    throw FormatError(path + ": expected a 2-D array [rows, columns], got shape " + shape_str(shape));
  if (shape[0] < 1 || shape[1] < 1)
    throw FormatError(path + ": the array of shape " + shape_str(shape) + " has no values");
  for (int64_t c = 0; c < shape[1]; ++c) columns_.push_back(std::string("c").append(std::to_string(c)));
}

TableBlocks::~TableBlocks() = default;
TableBlocks::TableBlocks(TableBlocks&&) noexcept = default;
TableBlocks& TableBlocks::operator=(TableBlocks&&) noexcept = default;

bool TableBlocks::next(int64_t rows, data::Table& out) {
  Tensor block;
  const bool more = reader_->csv ? reader_->csv->next(rows, block) : reader_->npy->next(rows, block);
  if (!more) return false;
  data::Table table;
  table.columns = columns_;
  table.values = block.to(DType::f64);
  if (reader_->npy) {
    const int64_t n = table.rows(), cols = table.cols();
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < cols; ++c)
        if (const double v = table.values[r * cols + c]; !std::isfinite(v))
          throw FormatError(path_ + ": row " + std::to_string(rows_read_ + r) + ", column " + std::to_string(c) +
                            " is " + (std::isnan(v) ? "NaN" : "infinite") + "; every value must be finite");
  }
  first_row_ = rows_read_;
  rows_read_ += table.rows();
  out = std::move(table);
  return true;
}

}  // namespace elbo::cli
