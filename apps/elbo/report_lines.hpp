#pragma once
// The report that `elbo fit` prints while it fits: its lines on standard output and the
// progress bar's on standard error, or, on a thread that runs one of several fits at once
// (concurrent_fits.hpp), both kept as that fit's own text and printed whole in its turn, so
// that the report reads as if the fits had run one after another.
#include <string>

#include "elbo/vi/progress_bar.hpp"

namespace elbo::cli {

/// printf to standard output, or to the calling thread's CapturedReport while one is alive.
void report(const char* format, ...) __attribute__((format(printf, 1, 2)));
/// Flushes standard output (nothing while captured: the text is printed later, whole).
void flush_report();
/// Where a fit's progress bar writes: standard error (the library's default), or the
/// calling thread's CapturedReport, never animated.
ProgressSink report_progress_sink();

/// While alive, report() and report_progress_sink()'s sinks made on the constructing thread
/// append to out() and err() instead of printing. One at a time per thread.
class CapturedReport {
 public:
  CapturedReport();
  ~CapturedReport();
  CapturedReport(const CapturedReport&) = delete;
  CapturedReport& operator=(const CapturedReport&) = delete;
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  /// Ends the capture on the constructing thread (the destructor's work, for a report that
  /// outlives it on another thread).
  void stop();
  /// Writes out() to standard output and err() to standard error.
  void print() const;

 private:
  std::string out_, err_;
};

}  // namespace elbo::cli
