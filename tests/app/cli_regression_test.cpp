// Regression through the command line: y = 3 + 2 sin(x) + noise is recovered in the
// target's own units, with a predictive interval that includes the learned noise.
#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"

namespace elbo::app_test {
namespace {

TEST(cli_regression, recovers_a_sine_within_its_noise) {
  TempDir dir;
  const double noise = 0.2;
  write_sine(dir / "train.csv", 300, noise, 21);
  write_sine(dir / "test.csv", 300, noise, 22);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                                "--iters", "3000"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  EXPECT_NE(fit.out.find("likelihood: normal"), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("features and target standardised"), std::string::npos) << fit.out;

  CliResult eval = run_cli(dir, {"evaluate", "--model", dir / "m.elbo", "--data", dir / "test.csv", "--json"});
  ASSERT_EQ(eval.code, 0) << describe(eval);
  auto j = nlohmann::json::parse(eval.out);
  // The best possible RMSE is the noise sd, 0.2; a fitted network stays within 0.3 (the
  // target's own sd is about 1.5, so an unfitted or unstandardised-back one would be far
  // off).
  EXPECT_LT(j["rmse"].get<double>(), 0.3) << eval.out;
  // The 94 % interval includes the noise: its coverage on 300 fresh rows is near 94 %
  // (binomial sd 1.4 %), and far from the ~20 % it would be without the noise.
  EXPECT_GT(j["coverage"].get<double>(), 0.85) << eval.out;
  EXPECT_LE(j["coverage"].get<double>(), 1.0) << eval.out;
  // mlpd at best the expected log-density of N(0, 0.2^2) noise, -0.5 log(2 pi 0.04) - 0.5
  // = 0.19; a model that missed the sine (RMSE ~0.5) scores about -0.65.
  EXPECT_GT(j["mlpd"].get<double>(), 0.0) << eval.out;

  write_text(dir / "x.csv", "x\n-1.5707963\n0\n1.5707963\n");
  CliResult pred = run_cli(dir, {"predict", "--model", dir / "m.elbo", "--data", dir / "x.csv", "--interval", "0.9"});
  ASSERT_EQ(pred.code, 0) << describe(pred);
  CsvText csv = parse_csv_text(pred.out);
  EXPECT_EQ(csv.header, (std::vector<std::string>{"mean", "sd", "lo", "hi"}));
  ASSERT_EQ(csv.rows.size(), 3u);
  const double truth[3] = {1.0, 3.0, 5.0};
  for (int i = 0; i < 3; ++i) {
    const auto& row = csv.rows[i];
    EXPECT_NEAR(row[0], truth[i], 0.25) << i;
    // predictive sd: the noise (0.2) plus a little epistemic spread
    EXPECT_GT(row[1], 0.12) << i;
    EXPECT_LT(row[1], 0.4) << i;
    // a central 90 % interval of a near-normal predictive: about mean +- 1.645 sd
    EXPECT_NEAR(row[2], row[0] - 1.645 * row[1], 0.1 * row[1] + 0.01) << i;
    EXPECT_NEAR(row[3], row[0] + 1.645 * row[1], 0.1 * row[1] + 0.01) << i;
  }
}

}  // namespace
}  // namespace elbo::app_test
