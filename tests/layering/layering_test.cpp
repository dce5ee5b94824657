// Layers are used one way: a file of a lower layer never includes a header of a higher one
// (docs/ARCHITECTURE.md). Scans include/ and src/ and reads every #include.
// Order, lowest first: graph, data, transforms, distributions, model, vi, predict = io,
// bnn, plot, mpi (the MPI communicator, its own library elbo_mpi). The umbrella include/elbo/elbo.hpp, apps/ and examples/ sit above every layer and
// may include anything.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const std::map<std::string, int>& layer_levels() {
  static const std::map<std::string, int> levels = {
      {"graph", 0}, {"data", 1}, {"transforms", 2}, {"distributions", 3}, {"model", 4},
      {"vi", 5},    {"predict", 6}, {"io", 6},      {"bnn", 7},           {"plot", 8},
      {"mpi", 9},
  };
  return levels;
}
constexpr int kTop = 100;  // elbo.hpp, apps, examples

const fs::path root = ELBO_SOURCE_DIR;

// The layer level of a repository file, or nullopt when it is in no layer. Throws for a
// folder under include/elbo/ or src/ that is not a known layer, so a new layer must be
// placed in the order above before its files can pass.
std::optional<int> level_of(const fs::path& file) {
  fs::path rel = file.lexically_normal().lexically_relative(root);
  auto it = rel.begin();
  if (it == rel.end()) return std::nullopt;
  std::string top = it->string();
  std::string layer;
  if (top == "apps" || top == "examples") return kTop;
  if (top == "src") {
    if (++it == rel.end()) return std::nullopt;
    layer = it->string();
    if (std::next(it) == rel.end()) return std::nullopt;  // a file directly in src/
  } else if (top == "include") {
    if (++it == rel.end() || it->string() != "elbo") return std::nullopt;
    if (++it == rel.end()) return std::nullopt;
    layer = it->string();
    if (std::next(it) == rel.end()) {  // include/elbo/<layer>.hpp, an umbrella
      if (layer == "elbo.hpp") return kTop;
      if (layer == "export.hpp") return -1;  // generated export macros, below every layer
      layer = fs::path(layer).stem().string();
    }
  } else {
    return std::nullopt;
  }
  auto l = layer_levels().find(layer);
  if (l == layer_levels().end())
    throw std::runtime_error(rel.string() + ": '" + layer + "' is not a known layer; add it to the layer order");
  return l->second;
}

// The file an #include names: "elbo/..." from include/; "./..." and "../..." relative to
// the including file; any other name relative to the including file if it exists there.
// nullopt for headers outside the repository (standard, Eigen, ...).
std::optional<fs::path> resolve(const fs::path& from, const std::string& name) {
  if (name.rfind("elbo/", 0) == 0) return root / "include" / name;
  fs::path p = (from.parent_path() / name).lexically_normal();
  if (name.rfind("./", 0) == 0 || name.rfind("../", 0) == 0 || fs::exists(p)) return p;
  return std::nullopt;
}

// The name in an #include line ("elbo/graph.hpp" for `#include <elbo/graph.hpp>`), or
// nullopt for any other line. Spaces may surround the '#'.
std::optional<std::string> included_name(const std::string& line) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string::npos || line[i] != '#') return std::nullopt;
  i = line.find_first_not_of(" \t", i + 1);
  if (i == std::string::npos || line.compare(i, 7, "include") != 0) return std::nullopt;
  i = line.find_first_not_of(" \t", i + 7);
  if (i == std::string::npos || (line[i] != '<' && line[i] != '"')) return std::nullopt;
  size_t end = line.find(line[i] == '<' ? '>' : '"', i + 1);
  if (end == std::string::npos) return std::nullopt;
  return line.substr(i + 1, end - i - 1);
}

// The #include lines of `text` (the contents of `file`) that reach a higher layer.
std::vector<std::string> violations(const fs::path& file, std::istream& text) {
  std::vector<std::string> out;
  std::optional<int> own = level_of(file);
  if (!own) return out;
  std::string line;
  while (std::getline(text, line)) {
    std::optional<std::string> name = included_name(line);
    if (!name) continue;
    auto target = resolve(file, *name);
    if (!target) continue;
    std::optional<int> theirs = level_of(*target);
    if (theirs && *theirs > *own) out.push_back(line);
  }
  return out;
}

std::vector<std::string> scan(const fs::path& file) {
  std::ifstream in(file);
  return violations(file, in);
}

std::vector<fs::path> sources_under(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::exists(dir)) return files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    auto ext = e.path().extension().string();
    if (ext == ".hpp" || ext == ".cpp" || ext == ".h" || ext == ".cc" || ext == ".ipp") files.push_back(e.path());
  }
  return files;
}

TEST(layering, no_layer_includes_a_higher_one) {
  std::vector<fs::path> files = sources_under(root / "include");
  auto more = sources_under(root / "src");
  files.insert(files.end(), more.begin(), more.end());
  ASSERT_GT(files.size(), 10u) << "scanned too few files under " << root;
  for (const fs::path& f : files) {
    for (const std::string& line : scan(f))
      ADD_FAILURE() << f.lexically_relative(root).string() << " includes a higher layer: " << line;
  }
}

TEST(layering, the_scanner_recognises_violations) {
  // A test that cannot fail is a defect: check the classifier on known cases.
  EXPECT_EQ(level_of(root / "src/graph/program.cpp"), 0);
  EXPECT_EQ(level_of(root / "include/elbo/graph/tensor.hpp"), 0);
  EXPECT_EQ(level_of(root / "include/elbo/model.hpp"), 4);
  EXPECT_EQ(level_of(root / "include/elbo/vi/fit.hpp"), 5);
  EXPECT_EQ(level_of(root / "src/io/save.cpp"), level_of(root / "src/predict/predictor.cpp"));
  EXPECT_EQ(level_of(root / "include/elbo/elbo.hpp"), kTop);
  EXPECT_EQ(level_of(root / "include/elbo/export.hpp"), -1);
  EXPECT_EQ(level_of(root / "apps/elbo/main.cpp"), kTop);
  EXPECT_EQ(level_of(root / "examples/simple/main.cpp"), kTop);
  EXPECT_EQ(level_of(root / "tests/graph/program_test.cpp"), std::nullopt);
  EXPECT_THROW(level_of(root / "src/unknown_layer/x.cpp"), std::runtime_error);
  EXPECT_LT(*level_of(root / "src/distributions/normal.cpp"), *level_of(root / "include/elbo/model/model.hpp"));

  // A lower layer including a higher one, through the public path and a relative path;
  // a same-level, lower-level, standard or private include is fine.
  std::istringstream text(
      "#include <vector>\n"
      "#include \"elbo/graph/tensor.hpp\"\n"
      "#include \"layout.hpp\"\n"
      "#include \"elbo/model/model.hpp\"\n"
      "  #  include <elbo/vi.hpp>\n"
      "#include \"../model/minibatch_impl.hpp\"\n"
      "#include \"elbo/elbo.hpp\"\n");
  auto found = violations(root / "src/graph/program.cpp", text);
  EXPECT_EQ(found, (std::vector<std::string>{"#include \"elbo/model/model.hpp\"", "  #  include <elbo/vi.hpp>",
                                              "#include \"../model/minibatch_impl.hpp\"",
                                              "#include \"elbo/elbo.hpp\""}));
  std::istringstream same_level("#include \"elbo/predict/predictor.hpp\"\n#include \"elbo/graph.hpp\"\n");
  EXPECT_TRUE(violations(root / "src/io/save.cpp", same_level).empty());
}

TEST(layering, apps_and_examples_may_include_anything) {
  // They are not layers: nothing they include is a violation.
  for (const char* d : {"apps", "examples"})
    for (const fs::path& f : sources_under(root / d)) EXPECT_TRUE(scan(f).empty()) << f;
}

}  // namespace
