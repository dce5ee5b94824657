#include "json_field.hpp"
#include "checkpoint.hpp"

#include <signal.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "elbo/graph/error.hpp"

namespace elbo::cli {

using nlohmann::json;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

[[noreturn]] void bad(const std::string& source, const std::string& detail) {
  invalid_json(source, "the checkpoint", detail);
}

template <class T>
T field(const json& j, const char* key, const std::string& source) {
  return json_field<T>(j, key, source, "the checkpoint");
}

}  // namespace

std::string encode_doubles(const std::vector<double>& values) {
  std::string bytes;
  bytes.reserve(values.size() * 8);
  for (double v : values) {
    uint64_t u = std::bit_cast<uint64_t>(v);
    for (int k = 0; k < 8; ++k) bytes += static_cast<char>((u >> (8 * k)) & 0xff);
  }
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::vector<double> decode_doubles(std::string_view text, const std::string& what) {
  if (text.size() % 4 != 0) throw FormatError(what + " is not base64 (its length is not a multiple of 4)");
  std::string bytes;
  bytes.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int s[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        s[k] = 0;
        ++pad;
        continue;
      }
      s[k] = pad ? -1 : sextet(c);
      if (s[k] < 0) throw FormatError(what + " is not base64 (character " + std::to_string(i + k) + ")");
    }
    uint32_t n = (static_cast<uint32_t>(s[0]) << 18) | (static_cast<uint32_t>(s[1]) << 12) |
                 (static_cast<uint32_t>(s[2]) << 6) | static_cast<uint32_t>(s[3]);
    bytes += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) bytes += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) bytes += static_cast<char>(n & 0xff);
  }
  if (bytes.size() % 8 != 0) throw FormatError(what + " does not hold a whole number of doubles");
  std::vector<double> values(bytes.size() / 8);
  for (size_t i = 0; i < values.size(); ++i) {
    uint64_t u = 0;
    for (int k = 0; k < 8; ++k) u |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[8 * i + k])) << (8 * k);
    values[i] = std::bit_cast<double>(u);
  }
  return values;
}

std::string data_checksum(const std::vector<std::string>& columns, const std::vector<double>& values) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto eat = [&h](unsigned char b) {
    h ^= b;
    h *= 0x100000001b3ull;
  };
  for (const std::string& c : columns) {
    for (char ch : c) eat(static_cast<unsigned char>(ch));
    eat(0);
  }
  for (double v : values) {
    uint64_t u = std::bit_cast<uint64_t>(v);
    for (int k = 0; k < 8; ++k) eat(static_cast<unsigned char>((u >> (8 * k)) & 0xff));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::string to_json(const FitCheckpoint& c) {
  json j;
  j["format"] = checkpoint_format_version;
  j["settings"] = c.settings;
  j["step"] = c.state.step;
  j["hist"] = encode_doubles(c.state.hist);
  j["optimizer"] = encode_doubles(c.state.optimizer);
  j["elbo_convergence"] = encode_doubles(c.elbo_convergence);
  j["parameter_convergence"] = encode_doubles(c.parameter_convergence);
  j["annealing"] = encode_doubles(c.annealing);
  j["data_checksum"] = c.data_checksum;
  j["every"] = c.every;
  return j.dump();
}

FitCheckpoint checkpoint_from(const SavedApproximation& saved) {
  const std::string& source = saved.source;
  auto it = saved.metadata.find(checkpoint_metadata_key);
  if (it == saved.metadata.end())
    throw FormatError(source + ": not a checkpoint of `elbo fit` (its metadata has no '" +
                      std::string(checkpoint_metadata_key) + "' entry); a checkpoint is written by --checkpoint-every");
  json j;
  try {
    j = json::parse(it->second);
  } catch (const json::exception& e) {
    bad(source, std::string("not JSON (") + e.what() + ")");
  }
  if (!j.is_object()) bad(source, "not a JSON object");
  int format = field<int>(j, "format", source);
  if (format > checkpoint_format_version)
    throw FormatError(source + ": checkpoint version " + std::to_string(format) +
                      " is newer than this elbo supports (" + std::to_string(checkpoint_format_version) + ")");
  FitCheckpoint c;
  c.settings = field<json>(j, "settings", source);
  if (!c.settings.is_object()) bad(source, "field 'settings' is not an object");
  c.state.step = field<int64_t>(j, "step", source);
  c.state.hist = decode_doubles(field<std::string>(j, "hist", source), source + ": the checkpoint's 'hist'");
  c.state.optimizer =
      decode_doubles(field<std::string>(j, "optimizer", source), source + ": the checkpoint's 'optimizer'");
  if (format >= 2) {
    c.elbo_convergence = decode_doubles(field<std::string>(j, "elbo_convergence", source),
                                        source + ": the checkpoint's 'elbo_convergence'");
    c.parameter_convergence = decode_doubles(field<std::string>(j, "parameter_convergence", source),
                                             source + ": the checkpoint's 'parameter_convergence'");
  } else {
    const int64_t checked_step = field<int64_t>(j, "checked_step", source);
    if (checked_step < 0 || checked_step > field<int64_t>(j, "step", source))
      bad(source, "the parameter-convergence state does not fit the approximation");
    if (checked_step > 0)
      c.parameter_convergence = decode_doubles(field<std::string>(j, "checked_params", source),
                                               source + ": the checkpoint's 'checked_params'");
    c.elbo_convergence_from_history = true;
  }
  if (format >= 3)
    c.annealing = decode_doubles(field<std::string>(j, "annealing", source), source + ": the checkpoint's 'annealing'");
  c.data_checksum = field<std::string>(j, "data_checksum", source);
  c.every = field<int64_t>(j, "every", source);
  c.state.params = saved.params;
  if (c.state.step < 0 || static_cast<size_t>(c.state.step) != c.state.hist.size())
    bad(source, "step " + std::to_string(c.state.step) + " does not match the " + std::to_string(c.state.hist.size()) +
                    " losses of its history");
  if (!c.parameter_convergence.empty() && c.parameter_convergence.size() != c.state.params.size())
    bad(source, "the parameter-convergence state does not fit the approximation");
  return c;
}

std::vector<std::string> remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<std::string> removed;
  const fs::path target(path);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  if (ec) return removed;
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    long pid = 0;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    auto [ptr, err] = std::from_chars(first, last, pid);
    if (err != std::errc() || ptr != last || pid <= 0) continue;
    if (pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    std::error_code rm;
    if (fs::remove(it->path(), rm)) removed.push_back(it->path().string());
  }
  return removed;
}

}  // namespace elbo::cli
