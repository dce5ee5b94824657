#include "interrupt.hpp"

#include <atomic>

namespace elbo::detail {

namespace {
volatile std::sig_atomic_t g_flag = 0;
extern "C" void on_sigint(int) { g_flag = 1; }
}  // namespace

InterruptGuard::InterruptGuard() {
  g_flag = 0;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, &previous_);
}

InterruptGuard::~InterruptGuard() { sigaction(SIGINT, &previous_, nullptr); }

bool InterruptGuard::interrupted() { return g_flag != 0; }

}  // namespace elbo::detail
