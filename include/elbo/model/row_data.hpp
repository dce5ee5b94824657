#pragma once
// Data containers that hold a model's rows: its log-likelihood is a sum of one term per
// row of them (every observed variable observes one of them, none sets total_size), so
// log p over all rows is the prior plus the sum of log p's data part over any blocks of
// rows. check_approximation runs log p in chunks of such rows; LogpProgram::split_rows runs
// a one-draw log p in blocks of them on the threads.
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/model/model.hpp"

ELBO_API_BEGIN
namespace elbo {

struct RowData {
  std::vector<Expr> inputs;            ///< the containers
  std::vector<const Tensor*> sources;  ///< their current values, in the same order
  int64_t rows = 0;                    ///< their common row count
};

/// Checks `containers` against `model`: each a data container of it with at least one
/// dimension, all with the same row count, every observed variable observing one of them,
/// none setting total_size (each block would be scaled up). Throws InvalidArgument whose
/// message starts with `who` and names the option `option` and the container or variable.
/// Empty containers give an empty RowData.
RowData row_data_of(const Model& model, const std::vector<Expr>& containers, const std::string& who,
                    const std::string& option = "row_data");

}  // namespace elbo
ELBO_API_END
