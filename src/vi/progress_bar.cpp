#include "elbo/vi/progress_bar.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>

namespace elbo {

namespace {
std::string group_thousands(const std::string& digits) {
  std::string r;
  int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    r += digits[i];
    if ((n - 1 - i) % 3 == 0 && i != n - 1) r += ',';
  }
  return r;
}

std::string clock_str(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  return buf;
}
}  // namespace

std::string format_count(int64_t v) {
  std::string s = std::to_string(v < 0 ? -v : v);
  return (v < 0 ? "-" : "") + group_thousands(s);
}

std::string format_loss(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.5g", v);
  std::string s = buf;
  if (s.find('e') != std::string::npos) return s;
  // Group the integer part.
  size_t start = (s[0] == '-') ? 1 : 0;
  size_t dot = s.find('.');
  std::string integer = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
  std::string rest = dot == std::string::npos ? "" : s.substr(dot);
  return s.substr(0, start) + group_thousands(integer) + rest;
}

ProgressBar::ProgressBar(int64_t total, bool enabled, std::FILE* out)
    : total_(total), enabled_(enabled), tty_(enabled && isatty(fileno(out)) != 0), out_(out) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

std::string ProgressBar::line(int64_t done, double avg, double elapsed) const {
  double frac = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  static const char* blocks[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  std::string bar;
  double filled = frac * 10;
  int full = static_cast<int>(filled);
  for (int i = 0; i < full && i < 10; ++i) bar += "█";
  if (full < 10) {
    int part = static_cast<int>((filled - full) * 8);
    bar += blocks[part];
    for (int i = full + (part > 0 ? 1 : 0); i < 10; ++i) bar += " ";
  }
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  double remaining = rate > 0 ? static_cast<double>(total_ - done) / rate : NAN;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%3d%%|%s| %ld/%ld [%s<%s, %.2fit/s]", static_cast<int>(frac * 100), bar.c_str(),
                static_cast<long>(done), static_cast<long>(total_), clock_str(elapsed).c_str(),
                clock_str(remaining).c_str(), rate);
  return "Average Loss = " + format_loss(avg) + ": " + buf;
}

void ProgressBar::update(int64_t done, double avg) {
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  std::fprintf(out_, "\r%s\x1b[K", line(done, avg, elapsed).c_str());
  std::fflush(out_);
}

void ProgressBar::finish(int64_t done, double avg, const std::string& how) {
  if (!enabled_) return;
  if (tty_) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(out_, "\r%s\x1b[K\n", line(done, avg, elapsed).c_str());
  }
  int pct = total_ > 0 ? static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total_)) : 100;
  if (how == "Finished")
    std::fprintf(out_, "Finished [%d%%]: Average Loss = %s\n", pct, format_loss(avg).c_str());
  else
    std::fprintf(out_, "%s at %s [%d%%]: Average Loss = %s\n", how.c_str(), format_count(done).c_str(), pct,
                 format_loss(avg).c_str());
  std::fflush(out_);
}

}  // namespace elbo
