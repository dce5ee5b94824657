// Memory soak: a million minibatch ADVI steps of the tutorial network must not grow the
// heap (docs/ARCHITECTURE.md, "Reliability"; results in docs/RELIABILITY.md, "Soak").
//
// The network: build_mlp's tutorial defaults (2 -> 5 -> 5 -> 1, tanh, no biases, Bernoulli
// likelihood) on make_moons (1000 points, noise 0.2, seed 0), minibatches of 50 rows drawn
// with replacement (total_size 1000), mean-field ADVI with its default optimizer, one thread.
// The steps run as fit(10000) calls, each continuing the last. After every tenth of the
// steps it prints the resident set size (/proc/self/statm), the heap in use, the loss
// history's own allocation and the steps per second of that stretch.
//
// The heap in use is glibc's mallinfo2(): uordblks (bytes in use in the arenas) + hblkhd
// (bytes in mmapped chunks, where large blocks such as the history go); under
// AddressSanitizer, whose allocator replaces glibc's, it is
// __sanitizer_get_current_allocated_bytes(). The loss history legitimately grows: 8 bytes
// per step, held in a std::vector whose capacity doubles. So the check discounts the
// history's capacity: (heap - 8 * hist().capacity()) at the end may exceed its value at the
// first mark by at most 64 KiB (the "bound" line of the output), or the program exits 1.
// Under valgrind the figures are valgrind's, and its own leak check is what counts.
//
// Usage: soak_memory [STEPS]   (default 1000000; a multiple of 10000, at least 20000)
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <elbo/elbo.hpp>

#if defined(__SANITIZE_ADDRESS__)
#define ELBO_SOAK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ELBO_SOAK_ASAN 1
#endif
#endif
#ifdef ELBO_SOAK_ASAN
#include <sanitizer/allocator_interface.h>
#endif

namespace {

constexpr int64_t chunk = 10000;              // steps per fit call
constexpr int64_t growth_bound = 64 * 1024;   // bytes, after discounting the history

int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

int64_t heap_in_use() {
#ifdef ELBO_SOAK_ASAN
  return static_cast<int64_t>(__sanitizer_get_current_allocated_bytes());
#else
  const struct mallinfo2 m = mallinfo2();
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
#endif
}

double mib(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

}  // namespace

int main(int argc, char** argv) {
  int64_t steps = 1'000'000;
  if (argc > 2) {
    std::fprintf(stderr, "usage: soak_memory [STEPS]\n");
    return 2;
  }
  if (argc == 2) {
    char* end = nullptr;
    steps = std::strtoll(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || steps < 2 * chunk || steps % chunk != 0) {
      std::fprintf(stderr, "soak_memory: STEPS is '%s', but must be a multiple of %lld, at least %lld\n",
                   argv[1], static_cast<long long>(chunk), static_cast<long long>(2 * chunk));
      return 2;
    }
  }
  // Report every tenth of the run, rounded to whole fit calls.
  const int64_t mark_every = std::max<int64_t>(chunk, steps / 10 / chunk * chunk);

  using namespace elbo;
  const data::Dataset moons = data::make_moons({.n_samples = 1000, .noise = 0.2, .seed = 0});
  Model model;
  const auto in = model.minibatch({"x", "y"}, {moons.x, moons.y}, {.batch_size = 50, .seed = 0});
  build_mlp(model, in[0], in[1], {.total_size = 1000});
  ADVI advi(model, {.seed = 0});

  std::printf("soak_memory: %lld minibatch ADVI steps (tutorial network, batch 50 of 1000 rows)\n",
              static_cast<long long>(steps));
  std::printf("%9s %10s %12s %12s %14s %10s %10s\n", "steps", "rss_MiB", "heap_bytes", "hist_bytes",
              "heap-hist", "steps/s", "loss");
  std::printf("%9d %10.2f %12lld %12s %14s %10s %10s\n", 0, mib(resident_bytes()),
              static_cast<long long>(heap_in_use()), "-", "-", "-", "-");

  int64_t first_net = 0, first_step = 0;
  auto t0 = std::chrono::steady_clock::now();
  const auto start = t0;
  int64_t last_mark = 0;
  while (advi.step() < steps) {
    advi.fit(chunk, {.progressbar = false});
    if (advi.step() % mark_every != 0 && advi.step() != steps) continue;
    const auto t1 = std::chrono::steady_clock::now();
    const double rate = static_cast<double>(advi.step() - last_mark) / std::chrono::duration<double>(t1 - t0).count();
    t0 = t1;
    last_mark = advi.step();
    const int64_t heap = heap_in_use();
    const int64_t hist = static_cast<int64_t>(advi.hist().capacity() * sizeof(double));
    const int64_t net = heap - hist;
    if (first_step == 0) {
      first_step = advi.step();
      first_net = net;
    }
    std::printf("%9lld %10.2f %12lld %12lld %14lld %10.0f %10.3f\n", static_cast<long long>(advi.step()),
                mib(resident_bytes()), static_cast<long long>(heap), static_cast<long long>(hist),
                static_cast<long long>(net), rate, advi.hist().back());
    std::fflush(stdout);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t growth = heap_in_use() - static_cast<int64_t>(advi.hist().capacity() * sizeof(double)) - first_net;
  std::printf("history: %zu losses (%zu bytes of capacity)\n", advi.hist().size(),
              advi.hist().capacity() * sizeof(double));
  std::printf("total: %lld steps in %.1f s, %.0f steps/s\n", static_cast<long long>(steps), seconds,
              static_cast<double>(steps) / seconds);
  std::printf("bound: heap - history grew by %lld bytes from step %lld to the end (allowed: %lld)\n",
              static_cast<long long>(growth), static_cast<long long>(first_step),
              static_cast<long long>(growth_bound));
  if (heap_in_use() == 0)
    std::printf("note: the allocator reports no heap in use (under valgrind?): the bound is not checked here\n");
  if (growth > growth_bound) {
    std::printf("FAILED: the heap grows during fitting\n");
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
