#pragma once
// The fit loop's progress bar, in the form PyMC (tqdm) prints:
//   Average Loss = 112.04: 100%|██████████| 20000/20000 [00:24<00:00, 821.54it/s]
// It animates only when its sink is a terminal; the closing line
//   Finished [100%]: Average Loss = 112.05
// (or "Interrupted at 12,345 [61%]: ...") is written either way.
//
// The bar writes to a ProgressSink, never to a stream of its own choosing: the default,
// stderr_progress_sink(), is standard error as in PyMC; an application that wants the bar
// elsewhere (a GUI, a log file, nowhere) passes its own (FitOptions::progress_sink).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// PyMC's "{:,.5g}": 5 significant digits with thousands separators ("1,234.5", "112.04").
std::string format_loss(double value);
/// "12,345".
std::string format_count(int64_t value);

/// Where a progress bar writes.
struct ProgressSink {
  /// Receives the bar's text as a terminal would (a redraw starts with '\r' and ends with
  /// the ANSI erase-to-end-of-line code when `terminal`); empty means standard error.
  std::function<void(std::string_view text)> write;
  /// Whether to animate: redraw the bar in place while fitting. Otherwise only the closing
  /// line is written (as tqdm does when its stream is not a terminal).
  bool terminal = false;
};

/// Standard error, animated when standard error is a terminal: PyMC's default.
ProgressSink stderr_progress_sink();

class ProgressBar {
 public:
  /// enabled = false writes nothing at all. A sink with an empty `write` is
  /// stderr_progress_sink().
  ProgressBar(int64_t total, bool enabled, ProgressSink sink = stderr_progress_sink());
  /// Redraws at most ~10 times a second, and only on a terminal.
  void update(int64_t done, double average_loss);
  /// True if it draws at all (a terminal): callers skip computing the average otherwise.
  bool animates() const { return tty_; }
  /// The closing line. `how` is "Finished", or "Interrupted" / "Stopped" with the step;
  /// a non-empty `reason` (why a callback stopped the fit) follows on a line of its own.
  void finish(int64_t done, double average_loss, const std::string& how, std::string_view reason = {});
  /// The bar line as it would be drawn (for tests).
  std::string line(int64_t done, double average_loss, double elapsed_s) const;

 private:
  int64_t total_;
  bool enabled_, tty_;
  ProgressSink sink_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace elbo
ELBO_API_END
