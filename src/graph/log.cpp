#include "elbo/graph/log.hpp"

#include <mutex>
#include <utility>

namespace elbo {

namespace {
// One mutex serialises installing and calling, so a logger never runs concurrently with
// itself or after set_logger has returned its replacement.
std::mutex& logger_mutex() {
  static std::mutex m;
  return m;
}
Logger& installed_logger() {
  static Logger logger;
  return logger;
}
}  // namespace

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "unknown";
}

Logger set_logger(Logger logger) {
  std::lock_guard<std::mutex> lock(logger_mutex());
  return std::exchange(installed_logger(), std::move(logger));
}

void log_message(LogLevel level, std::string_view message) {
  std::lock_guard<std::mutex> lock(logger_mutex());
  const Logger& logger = installed_logger();
  if (logger) logger(level, message);
}

}  // namespace elbo
