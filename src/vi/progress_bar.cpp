#include "elbo/vi/progress_bar.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

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

ProgressSink stderr_progress_sink() {
  return {[](std::string_view text) {
            std::fwrite(text.data(), 1, text.size(), stderr);
            std::fflush(stderr);
          },
          isatty(fileno(stderr)) != 0};
}

ProgressBar::ProgressBar(int64_t total, bool enabled, ProgressSink sink)
    : total_(total), enabled_(enabled), sink_(sink.write ? std::move(sink) : stderr_progress_sink()) {
  tty_ = enabled_ && sink_.terminal;
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
  std::string text = "\r";
  text += line(done, avg, elapsed);
  text += "\x1b[K";
  sink_.write(text);
}

void ProgressBar::finish(int64_t done, double avg, const std::string& how, std::string_view reason) {
  if (!enabled_) return;
  std::string text;
  if (tty_) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    text = "\r";
    text += line(done, avg, elapsed);
    text += "\x1b[K\n";
  }
  int pct = total_ > 0 ? static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total_)) : 100;
  if (how == "Finished")
    text += "Finished [" + std::to_string(pct) + "%]: Average Loss = " + format_loss(avg) + "\n";
  else
    text += how + " at " + format_count(done) + " [" + std::to_string(pct) + "%]: Average Loss = " + format_loss(avg) +
            "\n";
  if (!reason.empty()) text.append(reason).append("\n");
  sink_.write(text);
}

}  // namespace elbo
