// Robust regression through the command line: `elbo fit --likelihood student_t` learns the
// noise scale and the degrees of freedom, and a sine with 10 % outliers of +-8 is recovered
// where the outliers would inflate a normal likelihood's noise.
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"

namespace elbo::app_test {
namespace {

namespace fs = std::filesystem;

TEST(cli_student_t, a_sine_with_outliers_is_recovered_end_to_end) {
  TempDir dir;
  write_sine(dir / "train.csv", 300, 0.2, 41, 8.0);
  write_sine(dir / "test.csv", 300, 0.2, 42, 8.0);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "t.elbo",
                                "--likelihood",
                                "student_t", "--iters", "3000"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  EXPECT_NE(fit.out.find("likelihood: student_t (as asked with --likelihood)"), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("features and target standardised"), std::string::npos) << fit.out;
  CliResult normal_fit =
      run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "n.elbo", "--iters",
                    "3000"});
  ASSERT_EQ(normal_fit.code, 0) << describe(normal_fit);

  // The predictive mean follows the sine, not the outliers, within 0.3 at three points.
  write_text(dir / "x.csv", "x\n-1.5707963\n0\n1.5707963\n");
  CliResult pred = run_cli(dir, {"predict", "--model", dir / "t.elbo", "--data", dir / "x.csv", "--interval", "0.5"});
  ASSERT_EQ(pred.code, 0) << describe(pred);
  CsvText csv = parse_csv_text(pred.out);
  EXPECT_EQ(csv.header, (std::vector<std::string>{"mean", "sd", "lo", "hi"}));
  ASSERT_EQ(csv.rows.size(), 3u);
  const double truth[3] = {1.0, 3.0, 5.0};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(csv.rows[i][0], truth[i], 0.3) << i;
    // The central 50 % interval is narrow (the inliers' noise 0.2: about +-0.14, with
    // the heavier tails and the posterior's spread up to +-0.5), though the sd includes
    // the outliers' heavy tails.
    EXPECT_LT(csv.rows[i][3] - csv.rows[i][2], 1.0) << i;
    EXPECT_GT(csv.rows[i][3], csv.rows[i][0]) << i;
    EXPECT_LT(csv.rows[i][2], csv.rows[i][0]) << i;
  }

  // On fresh data with outliers, the heavy tails score better than the normal likelihood,
  // whose noise sd the outliers inflate to about 2.6.
  CliResult t_eval = run_cli(dir, {"evaluate", "--model", dir / "t.elbo", "--data", dir / "test.csv", "--json"});
  CliResult n_eval = run_cli(dir, {"evaluate", "--model", dir / "n.elbo", "--data", dir / "test.csv", "--json"});
  ASSERT_EQ(t_eval.code, 0) << describe(t_eval);
  ASSERT_EQ(n_eval.code, 0) << describe(n_eval);
  auto t = nlohmann::json::parse(t_eval.out), n = nlohmann::json::parse(n_eval.out);
  EXPECT_GT(t["mlpd"].get<double>(), n["mlpd"].get<double>() + 0.3) << t_eval.out << n_eval.out;
  EXPECT_GT(t["coverage"].get<double>(), 0.85) << t_eval.out;

  CliResult s = run_cli(dir, {"summary", "--model", dir / "t.elbo", "--draws", "500"});
  ASSERT_EQ(s.code, 0) << describe(s);
  EXPECT_NE(s.out.find("student_t likelihood"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("nu_minus_2"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("the degrees of freedom are nu = 2 + nu_minus_2"), std::string::npos) << s.out;

  const std::string figs = dir / "figs";
  fs::create_directory(figs);
  CliResult p = run_cli(dir, {"plot", "--model", dir / "t.elbo", "--data", dir / "test.csv", "--out", figs});
  ASSERT_EQ(p.code, 0) << describe(p);
  EXPECT_NE(p.out.find("the data has 1 features: the data and surface figures need exactly 2"), std::string::npos)
      << p.out;
}

}  // namespace
}  // namespace elbo::app_test
