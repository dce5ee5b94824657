// Every --method of elbo fit end to end on moons: fit, then predict, evaluate, summary,
// check and plot on the model file it wrote (the family is saved by its kind).
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"

namespace elbo::app_test {
namespace {

namespace fs = std::filesystem;

struct MethodCase {
  std::string what;
  std::vector<std::string> flags;
  std::string kind;  // as the model file and `fitting:` name the family
};

std::ostream& operator<<(std::ostream& os, const MethodCase& c) { return os << c.what; }

class CliMethods : public ::testing::TestWithParam<MethodCase> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    write_moons(*dir_ / "train.csv", 200, 1);
    write_moons(*dir_ / "test.csv", 200, 2);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string path(const std::string& name) { return *dir_ / name; }
  static TempDir* dir_;
};
TempDir* CliMethods::dir_ = nullptr;

TEST_P(CliMethods, fits_and_every_command_reads_its_model) {
  const MethodCase& c = GetParam();
  const std::string model = path(c.what + ".elbo");
  std::vector<std::string> fit = {"fit", "--recipe", "single", "--train", path("train.csv"), "--out", model, "--iters",
                                  "3000", "--seed", "3"};
  fit.insert(fit.end(), c.flags.begin(), c.flags.end());
  CliResult r = run_cli(*dir_, fit);
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("(" + c.kind + ")"), std::string::npos) << r.out;

  CliResult e = run_cli(*dir_, {"evaluate", "--model", model, "--data", path("test.csv"), "--json"});
  ASSERT_EQ(e.code, 0) << describe(e);
  // Moons are separable by this network: every family must reach 85 % (a fit that learnt
  // nothing scores about 50 %).
  EXPECT_GT(nlohmann::json::parse(e.out)["accuracy"].get<double>(), 0.85) << e.out;

  CliResult s = run_cli(*dir_, {"summary", "--model", model});
  ASSERT_EQ(s.code, 0) << describe(s);
  EXPECT_NE(s.out.find(c.kind + " approximation of 51 parameters"), std::string::npos) << s.out;

  CliResult p = run_cli(*dir_, {"predict", "--model", model, "--data", path("test.csv"), "--draws", "50"});
  ASSERT_EQ(p.code, 0) << describe(p);
  CliResult k = run_cli(*dir_, {"check", "--model", model, "--data", path("train.csv"), "--draws", "200", "--json"});
  if (c.kind.rfind("empirical:", 0) == 0) {  // particles have no density: no k-hat, a named error
    EXPECT_EQ(k.code, 1) << describe(k);
    EXPECT_NE(k.err.find("has no density (particles)"), std::string::npos) << describe(k);
    EXPECT_NE(r.out.find("PSIS k-hat: none (" + c.kind + " approximation: particles have no density)"),
              std::string::npos) << r.out;
  } else {
    ASSERT_EQ(k.code, 0) << describe(k);
  }
  const std::string figures = path(c.what + "_figures");
  fs::create_directories(figures);
  CliResult f = run_cli(*dir_, {"plot", "--model", model, "--data", path("test.csv"), "--out", figures});
  ASSERT_EQ(f.code, 0) << describe(f);
}

INSTANTIATE_TEST_SUITE_P(
    methods, CliMethods,
    ::testing::Values(MethodCase{"advi", {}, "meanfield"},
                      MethodCase{"fullrank", {"--method", "fullrank_advi"}, "fullrank"},
                      MethodCase{"lowrank", {"--method", "lowrank_advi", "--rank", "4"}, "lowrank:4"},
                      MethodCase{"lowrank_default_rank", {"--method", "lowrank_advi"}, "lowrank:7"},
                      MethodCase{"nfvi_default", {"--method", "nfvi"}, "flow:scale-loc"},
                      MethodCase{"nfvi_iaf", {"--method", "nfvi", "--flow", "scale-iaf*2-loc"}, "flow:scale-iaf*2-loc"},
                      MethodCase{"advi_iwae", {"--objective", "iwae:4"}, "meanfield"},
                      MethodCase{"svgd", {"--method", "svgd", "--particles", "20"}, "empirical:20"},
                      MethodCase{"asvgd", {"--method", "asvgd", "--particles", "10"}, "meanfield"},
                      MethodCase{"lowrank_renyi", {"--method", "lowrank_advi", "--objective", "renyi:0.5",
                                                   "--mc-samples", "3"}, "lowrank:7"},
                      MethodCase{"nfvi_planar", {"--method", "nfvi", "--flow", "scale-planar*4-radial-hh-loc"},
                                 "flow:scale-planar*4-radial-hh-loc"}),
    [](const ::testing::TestParamInfo<MethodCase>& info) { return info.param.what; });

}  // namespace
}  // namespace elbo::app_test
