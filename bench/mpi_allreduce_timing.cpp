// The cost of the data-parallel fit's one communication per step (docs/SCALING.md): the
// median time of Communicator::allreduce_sum over MPI_COMM_WORLD for vectors of 10^1 to
// 10^6 fixed-point values (16 bytes each), printed by process 0 as one JSON line per size.
//
//   mpirun -np R build/bench/mpi_allreduce_timing [--repeats 50]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <elbo/mpi/mpi_communicator.hpp>

int main(int argc, char** argv) {
  int repeats = 50;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--repeats") == 0) repeats = std::atoi(argv[i + 1]);
  auto comm = elbo::mpi_world();
  using Clock = std::chrono::steady_clock;
  for (int64_t n : {10, 100, 1000, 10000, 100000, 1000000}) {
    std::vector<elbo::FixedPoint> v(static_cast<size_t>(n), elbo::FixedPoint{1});
    comm->allreduce_sum(v);  // warm-up
    std::vector<double> t;
    for (int r = 0; r < repeats; ++r) {
      std::fill(v.begin(), v.end(), elbo::FixedPoint{comm->rank() + 1});
      auto t0 = Clock::now();
      comm->allreduce_sum(v);
      t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::nth_element(t.begin(), t.begin() + repeats / 2, t.end());
    const long long expect = static_cast<long long>(comm->size()) * (comm->size() + 1) / 2;
    if (comm->rank() == 0)
      std::printf("{\"processes\": %d, \"values\": %ld, \"bytes\": %ld, \"median_seconds\": %.9f, \"sum_ok\": %s}\n",
                  comm->size(), static_cast<long>(n), static_cast<long>(n * 16), t[static_cast<size_t>(repeats / 2)],
                  static_cast<long long>(v[0]) == expect ? "true" : "false");
  }
  return 0;
}
