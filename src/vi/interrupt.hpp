#pragma once
// SIGINT during a fit: the handler only sets a flag; the loop stops after the step.
#include <csignal>

namespace elbo::detail {

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool interrupted();

 private:
  struct sigaction previous_ {};
};

}  // namespace elbo::detail
