#pragma once
// MPI's processes as a Communicator (elbo/vi/communicator.hpp), for data-parallel fits
// under `mpirun`. It lives in the library elbo_mpi (target elbo::mpi), which is built with
// Open MPI when CMake finds it (ELBO_MPI); without MPI the same functions exist and
// mpi_world() says the build has none. This header does not include mpi.h.
#include <memory>
#include <string>

#include "elbo/export.hpp"
#include "elbo/vi/communicator.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Whether this elbo_mpi was built with MPI.
bool mpi_built();
/// Whether this process was started by an MPI launcher (mpirun sets OMPI_COMM_WORLD_SIZE,
/// PMI_SIZE or PMIX_RANK); nothing is initialised.
bool launched_by_mpi();
/// MPI_COMM_WORLD as a Communicator: the first call initialises MPI (funnelled threads)
/// and registers its finalisation at exit. allreduce_sum is one MPI_Allreduce with an
/// integer-sum operation on 128-bit values. Throws InvalidArgument in a build without MPI.
std::shared_ptr<Communicator> mpi_world();
/// Ends every process of the job with `code` after writing `message` and a newline to
/// standard error (MPI_Abort); without MPI running, std::exit(code) after the message.
[[noreturn]] void mpi_abort(int code, const std::string& message);

}  // namespace elbo
ELBO_API_END
