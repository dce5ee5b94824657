// A count target through the command line: `elbo fit --likelihood poisson` (log link) learns
// a rate that varies with the inputs; predict, evaluate, summary and plot work on it, and
// targets that are not counts are refused with their row.
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"

namespace elbo::app_test {
namespace {

namespace fs = std::filesystem;

class Counts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    write_counts(*dir_ / "train.csv", 400, 31);
    write_counts(*dir_ / "test.csv", 400, 32);
    fit_ = new CliResult(run_cli(*dir_, {"fit", "--recipe", "single", "--train", *dir_ / "train.csv", "--out",
                                         *dir_ / "m.elbo",
                                         "--likelihood", "poisson", "--iters", "3000"}));
  }
  static void TearDownTestSuite() {
    delete fit_;
    delete dir_;
  }
  static TempDir* dir_;
  static CliResult* fit_;
};
TempDir* Counts::dir_ = nullptr;
CliResult* Counts::fit_ = nullptr;

TEST_F(Counts, fit_uses_the_poisson_likelihood_on_counts_as_they_are) {
  ASSERT_EQ(fit_->code, 0) << describe(*fit_);
  EXPECT_NE(fit_->out.find("likelihood: poisson (as asked with --likelihood)"), std::string::npos) << fit_->out;
  // Counts are not standardised: only the features are.
  EXPECT_NE(fit_->out.find("inputs: features standardised with the training statistics"), std::string::npos)
      << fit_->out;
  EXPECT_NE(fit_->out.find("training RMSE: "), std::string::npos) << fit_->out;
}

TEST_F(Counts, evaluate_beats_a_constant_rate_and_covers_the_counts) {
  ASSERT_EQ(fit_->code, 0) << describe(*fit_);
  CliResult eval = run_cli(*dir_, {"evaluate", "--model", *dir_ / "m.elbo", "--data", *dir_ / "test.csv", "--json"});
  ASSERT_EQ(eval.code, 0) << describe(eval);
  auto j = nlohmann::json::parse(eval.out);
  EXPECT_EQ(j["rows"].get<int>(), 400);
  // The rate exp(1 + 0.8 sin x1 + 0.3 x2) ranges over about 1.1 to 8; the best constant
  // rate (the mean count, ~3.4) has an mlpd near -2.2 on such data, the true rate about
  // -1.75. A fitted network is within 0.2 of the truth.
  EXPECT_GT(j["mlpd"].get<double>(), -1.95) << eval.out;
  // RMSE of the mean: at best the Poisson noise, sqrt(mean rate) ~ 1.8.
  EXPECT_LT(j["rmse"].get<double>(), 2.2) << eval.out;
  // The central 94 % interval of whole counts covers at least 94 % of a Poisson's mass
  // (its ends are whole numbers); 400 rows, binomial sd 1.2 %.
  EXPECT_GT(j["coverage"].get<double>(), 0.9) << eval.out;
  CliResult table = run_cli(*dir_, {"evaluate", "--model", *dir_ / "m.elbo", "--data", *dir_ / "test.csv"});
  ASSERT_EQ(table.code, 0) << describe(table);
  EXPECT_NE(table.out.find("(poisson, 500 posterior draws)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("coverage"), std::string::npos) << table.out;
}

TEST_F(Counts, predict_gives_the_rate_with_whole_number_intervals) {
  ASSERT_EQ(fit_->code, 0) << describe(*fit_);
  write_text(*dir_ / "x.csv", "x1,x2\n-1.5707963,0\n0,0\n1.5707963,0\n");
  CliResult pred = run_cli(*dir_, {"predict", "--model", *dir_ / "m.elbo", "--data", *dir_ / "x.csv"});
  ASSERT_EQ(pred.code, 0) << describe(pred);
  CsvText csv = parse_csv_text(pred.out);
  EXPECT_EQ(csv.header, (std::vector<std::string>{"mean", "sd", "lo", "hi"}));
  ASSERT_EQ(csv.rows.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto& row = csv.rows[i];
    const double rate = count_rate(-1.5707963 * (1 - i), 0);  // e^0.2, e^1, e^1.8
    // The predictive mean near the true rate (within 25 %: 400 noisy counts).
    EXPECT_NEAR(row[0], rate, 0.25 * rate) << i;
    // sd^2 = rate + the rate's posterior variance: at least the Poisson's own.
    EXPECT_GT(row[1], 0.9 * std::sqrt(rate)) << i;
    EXPECT_EQ(row[2], std::floor(row[2])) << i;
    EXPECT_EQ(row[3], std::floor(row[3])) << i;
    EXPECT_GE(row[2], 0) << i;
    EXPECT_LT(row[2], row[0]) << i;
    EXPECT_GT(row[3], row[0]) << i;
  }
}

TEST_F(Counts, summary_and_plot_work_on_a_count_network) {
  ASSERT_EQ(fit_->code, 0) << describe(*fit_);
  CliResult s = run_cli(*dir_, {"summary", "--model", *dir_ / "m.elbo", "--draws", "200"});
  ASSERT_EQ(s.code, 0) << describe(s);
  EXPECT_NE(s.out.find("2 -> 5 -> 5 -> 1"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("poisson likelihood"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("the network's output is the log of the expected count"), std::string::npos) << s.out;
  const std::string figs = *dir_ / "figs";
  fs::create_directory(figs);
  CliResult p = run_cli(*dir_, {"plot", "--model", *dir_ / "m.elbo", "--data", *dir_ / "test.csv", "--out", figs,
                                "--draws", "100", "--grid", "20"});
  ASSERT_EQ(p.code, 0) << describe(p);
  // Counts are not classes: the surfaces of the mean and sd, no class figures.
  EXPECT_NE(p.out.find("2 figure"), std::string::npos) << p.out;
  EXPECT_EQ(p.out.find("reliability"), std::string::npos) << p.out;
}

TEST(cli_poisson, targets_that_are_not_counts_are_refused_with_their_row) {
  TempDir dir;
  write_text(dir / "neg.csv", "x,y\n0,1\n1,3\n2,0\n3,-1\n4,2\n");
  CliResult r = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "neg.csv", "--out", dir / "m.elbo",
                              "--likelihood", "poisson"});
  EXPECT_EQ(r.code, 2) << describe(r);
  EXPECT_NE(r.err.find("--likelihood: 'poisson' does not fit target 'y' of " + dir / "neg.csv" +
                       ": value -1 in data row 4 is not a count (a whole number >= 0)"),
            std::string::npos)
      << describe(r);
  EXPECT_FALSE(fs::exists(dir / "m.elbo"));

  write_text(dir / "frac.csv", "x,y\n0,1\n1,2.5\n");
  r = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "frac.csv", "--out", dir / "m.elbo", "--likelihood",
                    "poisson"});
  EXPECT_EQ(r.code, 2) << describe(r);
  EXPECT_NE(r.err.find("value 2.5 in data row 2 is not a count"), std::string::npos) << describe(r);
  EXPECT_FALSE(fs::exists(dir / "m.elbo"));

  // A fitted count network refuses such targets in evaluate too (a data error: exit 1).
  write_text(dir / "ok.csv", "x,y\n0,1\n1,3\n2,0\n3,4\n4,2\n");
  r = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "ok.csv", "--out", dir / "m.elbo", "--likelihood",
                    "poisson", "--iters",
                    "50"});
  ASSERT_EQ(r.code, 0) << describe(r);
  r = run_cli(dir, {"evaluate", "--model", dir / "m.elbo", "--data", dir / "frac.csv"});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find(dir / "frac.csv" +
                       ": target 'y': value 2.5 in data row 2 is not a count (a whole number >= 0) (the model's "
                       "likelihood is poisson)"),
            std::string::npos)
      << describe(r);
}

}  // namespace
}  // namespace elbo::app_test
