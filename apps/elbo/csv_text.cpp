#include "csv_text.hpp"

#include <charconv>
#include <cstdio>
#include <ostream>

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

namespace {
void put_stdout(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) throw Error("cannot write to standard output");
}
}  // namespace

void write_output(const std::string& path, const std::string& text) {
  write_output(path, [&](const std::function<void(std::string_view)>& put) { put(text); });
}

void write_output(const std::string& path,
                  const std::function<void(const std::function<void(std::string_view)>& put)>& produce) {
  if (!path.empty()) {
    data::write_file_atomically(path, [&](std::ostream& out) {
      produce([&](std::string_view text) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
    });
    return;
  }
  produce(put_stdout);
  if (std::fflush(stdout) != 0) throw Error("cannot write to standard output");
}

}  // namespace elbo::cli
