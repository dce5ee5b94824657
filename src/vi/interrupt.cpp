#include "interrupt.hpp"

#include <atomic>
#include <mutex>

namespace elbo::detail {

namespace {
// Lock-free, so that the handler may set it.
std::atomic<int> g_flag{0};
static_assert(std::atomic<int>::is_always_lock_free);
extern "C" void on_sigint(int) { g_flag.store(1, std::memory_order_relaxed); }

std::mutex g_mutex;  // guards the two below
int g_guards = 0;    // guards alive
struct sigaction g_previous {};
}  // namespace

InterruptGuard::InterruptGuard() {
  std::lock_guard lock(g_mutex);
  if (g_guards++ > 0) return;
  g_flag.store(0, std::memory_order_relaxed);
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, &g_previous);
}

InterruptGuard::~InterruptGuard() {
  std::lock_guard lock(g_mutex);
  if (--g_guards == 0) sigaction(SIGINT, &g_previous, nullptr);
}

bool InterruptGuard::interrupted() { return g_flag.load(std::memory_order_relaxed) != 0; }

}  // namespace elbo::detail
