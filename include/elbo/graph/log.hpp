#pragma once
// Messages from the library (PyMC's `logging.getLogger("pymc")`): elbo never writes to
// stdout or stderr on its own; it hands each message to the installed logger, and the
// application decides where it goes. The elbo CLI writes them to stderr as
// "elbo: warning: ...".
//
// Default: no logger, so messages are discarded. A library should not write to the
// terminal of the program that embeds it; PyMC users, who see warnings because Python's
// logging prints them when nothing is configured, get the same with
//   elbo::set_logger([](elbo::LogLevel level, std::string_view message) {
//     if (level >= elbo::LogLevel::warning)
//       std::fprintf(stderr, "elbo: %s: %.*s\n", elbo::to_string(level), int(message.size()), message.data());
//   });
//
// The progress bar of a fit is a display the caller asks for (FitOptions::progressbar),
// not a message: it has its own sink (elbo/vi/progress_bar.hpp).
#include <functional>
#include <string_view>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Severity, lowest first (Python logging's DEBUG, INFO, WARNING, ERROR).
enum class LogLevel { debug, info, warning, error };

/// "debug", "info", "warning", "error".
const char* to_string(LogLevel level);

/// Receives one message: a complete sentence without a trailing newline, and without an
/// "elbo:" prefix or the level (the logger adds what it wants).
using Logger = std::function<void(LogLevel level, std::string_view message)>;

/// Installs `logger` for every message of every thread and returns the one it replaces;
/// an empty Logger restores the default (discard). Thread-safe. The logger may be called
/// from any thread that runs elbo code, one call at a time.
Logger set_logger(Logger logger);

/// Hands `message` to the installed logger; does nothing when none is installed. A logger
/// must not call log_message or set_logger itself (they would wait for it forever).
/// Thread-safe; a cold path (messages are rare), not for per-step use.
void log_message(LogLevel level, std::string_view message);

}  // namespace elbo
ELBO_API_END
