#pragma once
// The processes of a data-parallel fit: each holds a share of the rows, and the only
// communication of a step is one elementwise sum of fixed-point numbers over all of them
// (exact_sum.hpp), so the result does not depend on how many there are. MPI provides one
// (elbo/mpi/mpi_communicator.hpp, when built with MPI); a program may provide its own.
#include <memory>
#include <span>

#include "elbo/export.hpp"
#include "elbo/vi/exact_sum.hpp"

ELBO_API_BEGIN
namespace elbo {

class Communicator {
 public:
  virtual ~Communicator() = default;
  /// This process's index, 0 .. size() - 1.
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Replaces values[i] on every process by the sum of values[i] over all processes. Every
  /// process calls it with the same length, in the same sequence of calls.
  virtual void allreduce_sum(std::span<FixedPoint> values) = 0;
};

/// One process alone: rank 0 of 1, and the sum is the values themselves.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(std::span<FixedPoint>) override {}
};

}  // namespace elbo
ELBO_API_END
