#pragma once
// Shared by the plot tests: a scratch directory per test, file checks, an environment
// variable set for one scope, and a check of exception messages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "elbo/plot/gnuplot.hpp"
#include "support/expect_throw_msg.hpp"

namespace elbo::plot::testing {

namespace fs = std::filesystem;

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A fresh directory under the system's temporary directory, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "elbo-plot-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string stem(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }
  /// Names of the files in the directory, sorted, hidden ones included.
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

/// Sets (or, with nullopt, unsets) an environment variable until the end of the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

/// The files `<stem>.png` and `<stem>.svg` exist and are a PNG and an SVG.
inline void expect_png_and_svg(const std::string& stem) {
  const std::string png = read_file(stem + ".png");
  const std::string svg = read_file(stem + ".svg");
  EXPECT_GT(png.size(), 1000u) << stem << ".png";
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << stem << ".png";
  EXPECT_NE(svg.find("<svg"), std::string::npos) << stem << ".svg";
  EXPECT_NE(svg.find("</svg>"), std::string::npos) << stem << ".svg is incomplete";
}

#define ELBO_SKIP_WITHOUT_GNUPLOT()                                                    \
  do {                                                                                 \
    if (!::elbo::plot::gnuplot_available())                                            \
      GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox), so no "  \
                      "figure can be drawn";                                           \
  } while (0)


}  // namespace elbo::plot::testing
