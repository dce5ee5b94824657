// elbo_mpi with Open MPI (ELBO_MPI): MPI_COMM_WORLD as a Communicator.
#include "elbo/mpi/mpi_communicator.hpp"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "elbo/graph/error.hpp"

namespace elbo {

namespace {

// MPI_Allreduce's operation on FixedPoint values: integer addition, exact and associative,
// so MPI may combine the processes' values in any order.
void add_fixed_points(void* in, void* inout, int* len, MPI_Datatype*) {
  const auto* a = static_cast<const FixedPoint*>(in);
  auto* b = static_cast<FixedPoint*>(inout);
  for (int i = 0; i < *len; ++i) b[i] += a[i];
}

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Type_contiguous(static_cast<int>(sizeof(FixedPoint)), MPI_BYTE, &type_);
    MPI_Type_commit(&type_);
    MPI_Op_create(&add_fixed_points, 1, &op_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(std::span<FixedPoint> values) override {
    if (values.empty() || size_ == 1) return;
    MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), type_, op_, MPI_COMM_WORLD);
  }

 private:
  int rank_ = 0, size_ = 1;
  MPI_Datatype type_{};
  MPI_Op op_{};
};

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace

bool mpi_built() { return true; }

bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK");
}

std::shared_ptr<Communicator> mpi_world() {
  static std::once_flag once;
  static std::shared_ptr<Communicator> world;
  std::call_once(once, [] {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      std::atexit(finalize_at_exit);
    }
    world = std::make_shared<MpiWorld>();
  });
  return world;
}

void mpi_abort(int code, const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

}  // namespace elbo
