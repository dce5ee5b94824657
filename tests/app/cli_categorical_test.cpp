// A 3-class problem through the command line: the likelihood is inferred, the target may
// sit in any column, and the fitted network separates the classes.
#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"

namespace elbo::app_test {
namespace {

TEST(cli_categorical, three_blobs_reach_95_percent_accuracy) {
  TempDir dir;
  write_blobs(dir / "train.csv", 300, 11);
  write_blobs(dir / "test.csv", 300, 12);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--target", "label",
                                "--out", dir / "m.elbo",
                                "--iters", "1500"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  EXPECT_NE(fit.out.find("likelihood: categorical with 3 classes (the target holds the class labels 0..2"),
            std::string::npos)
      << fit.out;

  CliResult pred = run_cli(dir, {"predict", "--model", dir / "m.elbo", "--data", dir / "test.csv", "--draws", "200"});
  ASSERT_EQ(pred.code, 0) << describe(pred);
  CsvText csv = parse_csv_text(pred.out);
  EXPECT_EQ(csv.header, (std::vector<std::string>{"p_0", "p_1", "p_2", "sd_0", "sd_1", "sd_2", "label", "entropy",
                                                  "mutual_info"}));
  ASSERT_EQ(csv.rows.size(), 300u);
  for (const auto& row : csv.rows) {
    EXPECT_NEAR(row[0] + row[1] + row[2], 1.0, 1e-5);
    int argmax = row[1] > row[0] ? (row[2] > row[1] ? 2 : 1) : (row[2] > row[0] ? 2 : 0);
    EXPECT_EQ(row[6], argmax);
    EXPECT_GE(row[7], 0);
    EXPECT_LE(row[7], std::log(3.0) + 1e-6);
    EXPECT_GE(row[8], 0);
    EXPECT_LE(row[8], row[7] + 1e-6);
  }

  CliResult eval = run_cli(dir, {"evaluate", "--model", dir / "m.elbo", "--data", dir / "test.csv", "--json"});
  ASSERT_EQ(eval.code, 0) << describe(eval);
  auto j = nlohmann::json::parse(eval.out);
  // Blobs of sd 0.5 whose centres are 3 apart: the Bayes error is about 0.3 %, so a fitted
  // network is above 95 % on fresh data with room for Monte Carlo noise.
  EXPECT_GT(j["accuracy"].get<double>(), 0.95) << eval.out;
  EXPECT_LT(j["brier"].get<double>(), 0.1) << eval.out;
  EXPECT_GT(j["mlpd"].get<double>(), -0.25) << eval.out;
  EXPECT_LT(j["ece"].get<double>(), 0.1) << eval.out;
}

}  // namespace
}  // namespace elbo::app_test
