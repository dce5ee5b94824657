// The plot layer includes the engine's headers (elbo/graph/...) and its own, and nothing
// higher: it must not depend on models or inference. The one exception is the calibration
// bins a reliability diagram draws (elbo/bnn/calibration.hpp, standard types only), which
// are a metric of the bnn layer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

namespace {

namespace fs = std::filesystem;

bool allowed(const std::string& include) {
  return include.starts_with("elbo/graph/") || include == "elbo/graph.hpp" ||
         include.starts_with("elbo/plot/") || include.starts_with("plot/") ||
         include == "elbo/data/atomic_file.hpp" || include == "elbo/bnn/calibration.hpp" ||
         include == "elbo/export.hpp";  // the generated export macros, below every layer
}

TEST(plot_layer, includes_only_the_engine_and_itself) {
  const fs::path root = ELBO_SOURCE_DIR;
  const std::regex quoted_include(R"(^\s*#\s*include\s*"([^"]+)\")");
  int files = 0;
  std::vector<fs::path> sources = {root / "include/elbo/plot.hpp"};
  for (const fs::path& dir : {root / "include/elbo/plot", root / "src/plot"})
    for (const auto& entry : fs::directory_iterator(dir)) sources.push_back(entry.path());
  for (const fs::path& path : sources) {
    ++files;
    std::ifstream in(path);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      std::smatch match;
      if (std::regex_search(line, match, quoted_include)) {
        EXPECT_TRUE(allowed(match[1])) << path.string() << ":" << number << " includes "
                                       << match[1];
      }
    }
  }
  EXPECT_GE(files, 10);
}

}  // namespace
