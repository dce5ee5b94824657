#include "option_checks.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>

#include "elbo/graph/error.hpp"
#include "elbo/vi/flow_formula.hpp"
#include "elbo/vi/objective.hpp"
#include "usage_error.hpp"

namespace elbo::cli {

namespace {

bool parse_int64(const std::string& text, int64_t& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool parse_double(const std::string& text, double& out) {
  if (text.empty()) return false;
  try {
    size_t used = 0;
    out = std::stod(text, &used);
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::vector<int64_t> parse_hidden(const std::string& flag, const std::string& text) {
  std::vector<int64_t> layers;
  if (text.empty()) return layers;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    int64_t units = 0;
    if (!parse_int64(item, units) || units < 1 || units > 1'000'000)
      throw UsageError(flag + ": '" + text + "' is not a comma-separated list of positive integers");
    layers.push_back(units);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return layers;
}

CLI::Validator positive_integer() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int64_t v = 0;
        if (!parse_int64(text, v) || v < 1) return "'" + text + "' is not a positive integer";
        return {};
      },
      "INT>0", "positive integer");
}

CLI::Validator at_least(int64_t least) {
  return CLI::Validator(
      [least](std::string& text) -> std::string {
        int64_t v = 0;
        if (!parse_int64(text, v) || v < least) return "'" + text + "' is not an integer of at least " + std::to_string(least);
        return {};
      },
      "INT>=" + std::to_string(least), "at least " + std::to_string(least));
}

CLI::Validator zero_or_at_least(int64_t least) {
  return CLI::Validator(
      [least](std::string& text) -> std::string {
        int64_t v = 0;
        if (!parse_int64(text, v) || (v != 0 && v < least))
          return "'" + text + "' is neither 0 nor an integer of at least " + std::to_string(least);
        return {};
      },
      "0|INT>=" + std::to_string(least), "zero or at least " + std::to_string(least));
}

CLI::Validator non_negative_integer() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int64_t v = 0;
        if (!parse_int64(text, v) || v < 0) return "'" + text + "' is not a non-negative integer";
        return {};
      },
      "INT>=0", "non-negative integer");
}

CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double v = 0;
        if (!parse_double(text, v) || !std::isfinite(v) || !(v > 0))
          return "'" + text + "' is not a positive finite number";
        return {};
      },
      "X>0", "positive number");
}

CLI::Validator flow_formula_text() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        try {
          parse_flow_formula(text);
        } catch (const InvalidArgument& e) {
          return e.what();
        }
        return {};
      },
      "FORMULA", "flow formula");
}

CLI::Validator objective_text() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        try {
          long long k = 0;
          parse_objective(text, &k);
        } catch (const InvalidArgument& e) {
          return e.what();
        }
        return {};
      },
      "OBJECTIVE", "objective");
}

CLI::Validator open_unit_interval() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double v = 0;
        if (!parse_double(text, v) || !(v > 0 && v < 1)) return "'" + text + "' is not a number strictly between 0 and 1";
        return {};
      },
      "(0,1)", "probability");
}

void check_output_parent(const std::string& flag, const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty()) throw UsageError(flag + ": the path is empty");
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    throw UsageError(flag + ": directory '" + parent.string() + "' does not exist (for '" + path + "')");
  if (fs::is_directory(path, ec)) throw UsageError(flag + ": '" + path + "' is a directory, expected a file name");
}

void check_output_directory(const std::string& flag, const std::string& path) {
  std::error_code ec;
  if (path.empty()) throw UsageError(flag + ": the path is empty");
  if (!std::filesystem::is_directory(path, ec)) throw UsageError(flag + ": directory '" + path + "' does not exist");
}

}  // namespace elbo::cli
