// `elbo fit --ensemble K`: K members from the seeds SEED + 1000 k, kept as their mixture,
// which every later command reads as one approximation.
#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"

namespace elbo::app_test {
namespace {

TEST(cli_ensemble, fits_the_members_and_every_command_reads_their_mixture) {
  // The recipe test's data (y = 3 + 2 sin(x) + N(0, 0.05^2), one hidden layer of 50), three
  // members: the mixture must score as the recipe test asks of one fit (mlpd > 1.2, RMSE <
  // 0.065; the noise's own mlpd is 1.58).
  TempDir dir;
  write_sine(dir / "train.csv", 300, 0.05, 21);
  write_sine(dir / "test.csv", 1000, 0.05, 22);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "e.elbo",
                                "--hidden", "50",
                                "--ensemble", "3", "--psis-draws", "200", "--loss-history", dir / "h.csv"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  EXPECT_NE(fit.out.find("ensemble member 1 of 3 (seed 0)"), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("ensemble member 3 of 3 (seed 2000)"), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("ensemble: 3 members"), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("PSIS k-hat: "), std::string::npos) << fit.out;
  // The loss history: every member's steps, with the member's index first.
  const CsvText history = parse_csv_text(read_text(dir / "h.csv"));
  ASSERT_EQ(history.header, (std::vector<std::string>{"member", "step", "loss"}));
  ASSERT_FALSE(history.rows.empty());
  EXPECT_EQ(history.rows.front()[0], 0);
  EXPECT_EQ(history.rows.front()[1], 1);
  EXPECT_EQ(history.rows.back()[0], 2);
  const std::string file = read_text(dir / "e.elbo");
  EXPECT_NE(file.find("mixture:3:meanfield"), std::string::npos);
  EXPECT_NE(file.find("\"ensemble\":3"), std::string::npos);
  const nlohmann::json score = evaluate_json(dir, dir / "e.elbo", dir / "test.csv");
  EXPECT_GT(score.value("mlpd", -1e9), 1.2) << score;
  EXPECT_LT(score.value("rmse", 1e9), 0.065) << score;

  CliResult predict = run_cli(dir, {"predict", "--model", dir / "e.elbo", "--data", dir / "test.csv"});
  ASSERT_EQ(predict.code, 0) << describe(predict);
  EXPECT_EQ(parse_csv_text(predict.out).rows.size(), 1000u);
  CliResult summary = run_cli(dir, {"summary", "--model", dir / "e.elbo"});
  ASSERT_EQ(summary.code, 0) << describe(summary);
  EXPECT_NE(summary.out.find("mixture:3:meanfield"), std::string::npos) << summary.out;
  CliResult check = run_cli(dir, {"check", "--model", dir / "e.elbo", "--data", dir / "train.csv", "--draws", "100"});
  ASSERT_EQ(check.code, 0) << describe(check);
  EXPECT_NE(check.out.find("PSIS k-hat: "), std::string::npos) << check.out;
}

TEST(cli_ensemble, one_member_is_the_plain_fit) {
  TempDir dir;
  write_sine(dir / "train.csv", 100, 0.2, 23);
  const std::vector<std::string> common = {"fit", "--recipe", "single", "--train", dir / "train.csv", "--iters", "500",
                                           "--psis-draws", "0"};
  std::vector<std::string> plain = common, one = common;
  plain.insert(plain.end(), {"--out", dir / "plain.elbo"});
  one.insert(one.end(), {"--out", dir / "one.elbo", "--ensemble", "1"});
  ASSERT_EQ(run_cli(dir, plain).code, 0);
  ASSERT_EQ(run_cli(dir, one).code, 0);
  EXPECT_EQ(read_text(dir / "plain.elbo"), read_text(dir / "one.elbo"));
}

TEST(cli_ensemble, refuses_what_an_ensemble_cannot_do) {
  TempDir dir;
  write_sine(dir / "train.csv", 100, 0.2, 24);
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"--ensemble", "0"}, "--ensemble"},
      {{"--ensemble", "2", "--method", "svgd"}, "--method svgd"},
      {{"--ensemble", "2", "--checkpoint", dir / "c.ckpt"}, "--resume/--checkpoint"},
      // Members side by side would write one checkpoint file at once.
      {{"--ensemble", "2", "--checkpoint-every", "50"}, "--checkpoint-every"},
  };
  for (const auto& [flags, named] : refused) {
    std::vector<std::string> args = {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out",
                                     dir / "m.elbo", "--iters", "100"};
    args.insert(args.end(), flags.begin(), flags.end());
    CliResult r = run_cli(dir, args);
    EXPECT_EQ(r.code, 2) << describe(r);
    EXPECT_NE(r.err.find(named), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "m.elbo")) << named;
  }
}

}  // namespace
}  // namespace elbo::app_test
