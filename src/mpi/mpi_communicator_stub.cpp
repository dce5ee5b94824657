// elbo_mpi without MPI (ELBO_MPI off or MPI not found): the functions exist, and
// mpi_world() explains that this build has no MPI.
#include <cstdio>
#include <cstdlib>

#include "elbo/graph/error.hpp"
#include "elbo/mpi/mpi_communicator.hpp"

namespace elbo {

bool mpi_built() { return false; }

bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK");
}

std::shared_ptr<Communicator> mpi_world() {
  throw InvalidArgument("this elbo was built without MPI (install libopenmpi-dev and rebuild; `make` does it)");
}

void mpi_abort(int code, const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::exit(code);
}

}  // namespace elbo
