#pragma once
// The fit loop's progress bar, in the form PyMC (tqdm) prints:
//   Average Loss = 112.04: 100%|██████████| 20000/20000 [00:24<00:00, 821.54it/s]
// It animates only when the stream is a terminal; the closing line
//   Finished [100%]: Average Loss = 112.05
// (or "Interrupted at 12,345 [61%]: ...") is printed either way.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace elbo {

/// PyMC's "{:,.5g}": 5 significant digits with thousands separators ("1,234.5", "112.04").
std::string format_loss(double value);
/// "12,345".
std::string format_count(int64_t value);

class ProgressBar {
 public:
  /// enabled = false prints nothing at all.
  ProgressBar(int64_t total, bool enabled, std::FILE* out = stderr);
  /// Redraws at most ~10 times a second, and only on a terminal.
  void update(int64_t done, double average_loss);
  /// True if it draws at all (a terminal): callers skip computing the average otherwise.
  bool animates() const { return tty_; }
  /// The closing line. `how` is "Finished", or "Interrupted" / "Stopped" with the step.
  void finish(int64_t done, double average_loss, const std::string& how);
  /// The bar line as it would be drawn (for tests).
  std::string line(int64_t done, double average_loss, double elapsed_s) const;

 private:
  int64_t total_;
  bool enabled_, tty_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace elbo
