// report_lines.hpp.
#include "report_lines.hpp"

#include <cstdarg>
#include <cstdio>

namespace elbo::cli {

namespace {
thread_local std::string* t_out = nullptr;
thread_local std::string* t_err = nullptr;
}  // namespace

void report(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  if (!t_out) {
    std::vprintf(format, args);
    va_end(args);
    return;
  }
  std::va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  if (n > 0) {
    const size_t at = t_out->size();
    t_out->resize(at + static_cast<size_t>(n) + 1);
    std::vsnprintf(t_out->data() + at, static_cast<size_t>(n) + 1, format, again);
    t_out->resize(at + static_cast<size_t>(n));  // the terminating NUL off
  }
  va_end(again);
}

void flush_report() {
  if (!t_out) std::fflush(stdout);
}

ProgressSink report_progress_sink() {
  if (!t_err) return {};
  std::string* err = t_err;
  return {[err](std::string_view text) { err->append(text); }, false};
}

CapturedReport::CapturedReport() {
  t_out = &out_;
  t_err = &err_;
}

CapturedReport::~CapturedReport() { stop(); }

void CapturedReport::stop() {
  if (t_out != &out_) return;
  t_out = nullptr;
  t_err = nullptr;
}

void CapturedReport::print() const {
  std::fwrite(out_.data(), 1, out_.size(), stdout);
  std::fflush(stdout);
  std::fwrite(err_.data(), 1, err_.size(), stderr);
  std::fflush(stderr);
}

}  // namespace elbo::cli
