#pragma once
// SIGINT during a fit: the handler only sets a flag; the loop stops after the step.
//
// Fits may run at once on several threads (elbo fit's recipe runs its candidates and members
// side by side), each with its guard: the first guard alive installs the handler and clears
// the flag, the last one restores the handler it found, and a Ctrl-C stops every fit then
// running.
#include <csignal>

namespace elbo::detail {

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool interrupted();
};

}  // namespace elbo::detail
