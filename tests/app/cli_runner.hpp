#pragma once
// Running the built `elbo` binary from tests: a fresh temporary directory per test, the
// command's exit code, standard output and standard error.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

// The path of the built binary (tests/CMakeLists.txt); empty when the CLI is not built
// (ELBO_BUILD_APPS=OFF), and then every test is skipped (cli_binary_test.cpp).
#ifndef ELBO_CLI
#define ELBO_CLI ""
#endif

namespace elbo::app_test {

struct CliResult {
  int code = -1;
  std::string out, err;
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// A directory under the system's temporary directory, removed with its content.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            std::string("elbo_app_test_").append(std::to_string(::getpid())).append("_").append(std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  /// Names of the files in the directory, sorted.
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs `elbo <args>` with its output captured in files of `dir`.
inline CliResult run_cli(const TempDir& dir, const std::vector<std::string>& args) {
  std::string cmd = shell_quote(ELBO_CLI);
  for (const std::string& a : args) cmd.append(" ").append(shell_quote(a));
  const std::string out = dir / ".stdout", err = dir / ".stderr";
  cmd.append(" >").append(shell_quote(out)).append(" 2>").append(shell_quote(err));
  int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.out = read_text(out);
  r.err = read_text(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

/// `elbo <args>` started in the background (output discarded), to be killed by a test.
class BackgroundCli {
 public:
  explicit BackgroundCli(const std::vector<std::string>& args) {
    std::vector<std::string> argv_s = {ELBO_CLI};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~BackgroundCli() { kill(SIGKILL); }
  BackgroundCli(const BackgroundCli&) = delete;
  BackgroundCli& operator=(const BackgroundCli&) = delete;
  /// Sends `signal` and waits for the process; returns its wait status (-1 if already reaped).
  int kill(int signal) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  /// Whether the process has exited by itself (reaps it if so).
  bool exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
};

/// Everything gtest should print when a command did not do what a test expected.
inline std::string describe(const CliResult& r) {
  std::string text = "exit code ";
  text.append(std::to_string(r.code)).append("\n--- stdout ---\n").append(r.out);
  return text.append("\n--- stderr ---\n").append(r.err);
}

/// `elbo evaluate --model M --data D --json` run once, parsed; a failed command fails the
/// test (and gives an empty object).
inline nlohmann::json evaluate_json(const TempDir& dir, const std::string& model, const std::string& data) {
  CliResult e = run_cli(dir, {"evaluate", "--model", model, "--data", data, "--json"});
  EXPECT_EQ(e.code, 0) << describe(e);
  return e.code == 0 ? nlohmann::json::parse(e.out) : nlohmann::json::object();
}

/// Parses a CSV text with a header into the header and rows of numbers.
struct CsvText {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
};
inline CsvText parse_csv_text(const std::string& text) {
  CsvText csv;
  std::istringstream in(text);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream ls(line);
    std::string f;
    while (std::getline(ls, f, ',')) fields.push_back(f);
    if (first) {
      csv.header = fields;
      first = false;
      continue;
    }
    std::vector<double> row;
    for (const auto& v : fields) row.push_back(std::stod(v));
    csv.rows.push_back(row);
  }
  return csv;
}

}  // namespace elbo::app_test
