#pragma once
// Where a model's minibatches come from. Each optimisation step asks every source of the
// model to load that step's rows into a compiled program's data inputs.
#include <cstdint>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/graph.hpp"
#include "elbo/graph/program.hpp"

ELBO_API_BEGIN
namespace elbo {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  /// The data inputs this source feeds (one per aligned array).
  virtual const std::vector<Expr>& inputs() const = 0;
  /// Loads the batch of step `step` (0-based) into `program`'s data inputs. The batch is
  /// a function of `step` alone, so loading changes no observable state of the source
  /// (nor of the model that owns it): what a source keeps between calls (a file position,
  /// an epoch's permutation, buffers) only saves work, and is guarded by a lock, so
  /// programs on several threads may load from one source.
  virtual void load(Program& program, uint64_t step) const = 0;
  /// Rows in the full data set, when known (0 for an unbounded stream).
  virtual int64_t total_rows() const = 0;
};

}  // namespace elbo
ELBO_API_END
