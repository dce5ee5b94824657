// The work `elbo fit` does after the fit costs less than the fit by default
// (apps/elbo/cmd_fit.cpp, plan_post_fit; docs/CLI.md, "After the fit"): a short fit gets a
// training score from fewer draws and skips the default PSIS k-hat, saying why; an explicit
// --psis-draws is honoured.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "app/cli_runner.hpp"

namespace elbo::app_test {
namespace {

namespace fs = std::filesystem;

std::string data_file(const std::string& name) { return (fs::path(ELBO_SOURCE_DIR) / "tests/app/data" / name).string(); }

TEST(cli_post_fit, a_short_fit_scores_with_fewer_draws_and_skips_the_default_khat) {
  // 40 rows, 10 full-batch steps: about 3 x 10 x 40 forward-pass rows, 30 draws' worth over
  // the 40 rows: the score gets a third (10, the floor), k-hat would need 100.
  TempDir dir;
  CliResult r = run_cli(dir, {"fit", "--recipe", "single", "--train", data_file("v1_binary.csv"), "--out",
                              dir / "m.elbo", "--iters", "10"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("training accuracy: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(10 draws)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PSIS k-hat: skipped (100 draws over all 40 training rows would cost more than the fit; "
                       "`elbo check` computes it with --draws N)"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(fs::exists(dir / "m.elbo"));
}

TEST(cli_post_fit, a_longer_fit_gets_more_draws_and_an_explicit_psis_draws_is_kept) {
  // 500 steps: 1500 draws' worth; the score gets its cap of 200, k-hat min(1000, 1000).
  TempDir dir;
  CliResult r = run_cli(dir, {"fit", "--recipe", "single", "--train", data_file("v1_binary.csv"), "--out",
                              dir / "m.elbo", "--iters", "500"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("(200 draws)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("; 1000 draws, ESS "), std::string::npos) << r.out;
  CliResult e = run_cli(dir, {"fit", "--recipe", "single", "--train", data_file("v1_binary.csv"), "--out",
                              dir / "e.elbo", "--iters", "10",
                              "--psis-draws", "50"});
  ASSERT_EQ(e.code, 0) << describe(e);
  EXPECT_NE(e.out.find("; 50 draws, ESS "), std::string::npos) << e.out;
}

}  // namespace
}  // namespace elbo::app_test
