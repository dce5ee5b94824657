// `elbo fit --prior-scale evidence`: the weights' prior sd chosen by the Laplace evidence
// on the training data (empirical Bayes), then the fit with it, for any method but laplace.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"

namespace elbo::app_test {
namespace {

double number_after(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern + "([0-9.eE+-]+)"))) return NAN;
  return std::stod(m[1].str());
}

TEST(cli_prior_scale, evidence_chooses_the_sd_that_laplace_evidence_iterations_choose_and_the_fit_uses_it) {
  TempDir dir;
  write_moons(dir / "train.csv", 200, 3);
  // The reference: a Laplace fit over every weight with the diagonal Hessian and ten
  // evidence iterations prints the precision it chose.
  CliResult lap = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "lap.elbo",
                                "--method", "laplace",
                                "--subset", "all", "--hessian", "diag", "--evidence-iterations", "10", "--psis-draws",
                                "0"});
  ASSERT_EQ(lap.code, 0) << describe(lap);
  const double precision = number_after(lap.out, "prior precision ");
  ASSERT_TRUE(precision > 0) << lap.out;
  for (const char* method : {"pathfinder", "advi"}) {
    const std::string model = dir / (std::string(method) + ".elbo");
    std::vector<std::string> args = {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", model,
                                     "--method", method,
                                     "--prior-scale", "evidence", "--psis-draws", "0"};
    for (const char* flag : std::string(method) == "pathfinder" ? std::vector<const char*>{"--paths", "1"}
                                                                 : std::vector<const char*>{"--iters", "300"})
      args.push_back(flag);
    CliResult r = run_cli(dir, args);
    ASSERT_EQ(r.code, 0) << describe(r);
    const double chosen = number_after(r.out, "prior scale: precision ");
    const double sd = number_after(r.out, "prior scale: precision [0-9.eE+-]+, sd ");
    // Printed to four digits by both.
    EXPECT_NEAR(chosen, precision, 1e-3 * precision) << r.out;
    EXPECT_NEAR(sd, 1 / std::sqrt(precision), 1e-3 * sd) << r.out;
    // The fit's network has that prior, and the model file keeps it.
    CliResult summary = run_cli(dir, {"summary", "--model", model});
    ASSERT_EQ(summary.code, 0) << describe(summary);
    const double saved = number_after(summary.out, "N\\(0, ");
    EXPECT_NEAR(saved, sd, 1e-3 * sd) << summary.out;
    EXPECT_GT(std::abs(saved - 1.0), 0.05) << "the prior sd stayed at the default: " << summary.out;
  }
}

TEST(cli_prior_scale, a_network_over_4000_parameters_takes_the_kronecker_factors) {
  // 2 -> 100 -> 40 -> 1: 4,381 parameters, above the diagonal's limit.
  TempDir dir;
  write_moons(dir / "train.csv", 200, 3);
  CliResult r = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                              "--hidden", "100,40",
                              "--prior-scale", "evidence", "--iters", "200", "--psis-draws", "0"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("prior scale: by the Laplace evidence (kron Hessian over 4381 parameters"), std::string::npos)
      << r.out;
  const double sd = number_after(r.out, "prior scale: precision [0-9.eE+-]+, sd ");
  EXPECT_TRUE(sd > 0 && std::isfinite(sd)) << r.out;
}

TEST(cli_prior_scale, is_refused_where_it_cannot_apply) {
  TempDir dir;
  write_moons(dir / "train.csv", 60, 3);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--prior", "hierarchical"}, "--prior-scale evidence: chooses the sd of --prior normal"},
      {{"--method", "laplace"}, "--prior-scale evidence: --method laplace chooses its prior precision by the evidence"},
      {{"--data-parallel"}, "--prior-scale evidence: not in a data-parallel fit"},
  };
  // Launched by mpirun (its environment) is a data-parallel fit too.
  ::setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
  CliResult mpi = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                                "--prior-scale",
                                "evidence", "--likelihood", "bernoulli"});
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  EXPECT_EQ(mpi.code, 2) << describe(mpi);
  EXPECT_NE(mpi.err.find("--prior-scale evidence: not in a data-parallel fit"), std::string::npos) << describe(mpi);
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> args = {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out",
                                     dir / "m.elbo", "--prior-scale",
                                     "evidence"};
    args.insert(args.end(), flags.begin(), flags.end());
    CliResult r = run_cli(dir, args);
    EXPECT_EQ(r.code, 2) << describe(r);
    EXPECT_NE(r.err.find(message), std::string::npos) << describe(r);
    EXPECT_FALSE(std::filesystem::exists(dir / "m.elbo"));
  }
}

}  // namespace
}  // namespace elbo::app_test
