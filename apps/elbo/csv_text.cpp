#include "csv_text.hpp"

#include <charconv>
#include <cstdio>

#include "elbo/data/atomic_file.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::cli {

void append_number(std::string& out, double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<float>(value));
  if (ec != std::errc()) end = buf + std::snprintf(buf, sizeof buf, "%.7g", value);
  out.append(buf, end);
}

void append_header(std::string& out, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i];
  }
  out += '\n';
}

void write_output(const std::string& path, const std::string& text) {
  if (!path.empty()) {
    data::write_file_atomically(path, text);
    return;
  }
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    throw Error("cannot write to standard output");
}

}  // namespace elbo::cli
