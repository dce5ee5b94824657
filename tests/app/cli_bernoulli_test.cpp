// fit -> predict -> evaluate -> summary on moons, through the command line.
#include <cmath>
#include <cstdio>
#include <string>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"
#include "elbo/data/npy.hpp"

namespace elbo::app_test {
namespace {

namespace fs = std::filesystem;

class Moons : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    write_moons(*dir_ / "train.csv", 200, 1);
    write_moons(*dir_ / "test.csv", 200, 2);
    fit_ = new CliResult(run_cli(*dir_, {"fit", "--recipe", "single", "--train", *dir_ / "train.csv", "--out",
                                         *dir_ / "moons.elbo",
                                         "--iters", "2000", "--seed", "3"}));
  }
  static void TearDownTestSuite() {
    delete fit_;
    delete dir_;
  }
  void SetUp() override { ASSERT_EQ(fit_->code, 0) << describe(*fit_); }
  static std::string path(const std::string& name) { return *dir_ / name; }
  static TempDir* dir_;
  static CliResult* fit_;
};
TempDir* Moons::dir_ = nullptr;
CliResult* Moons::fit_ = nullptr;

TEST_F(Moons, fit_reports_the_inferred_likelihood_and_writes_the_model) {
  EXPECT_NE(fit_->out.find("likelihood: bernoulli (the target holds only the labels 0 and 1"), std::string::npos)
      << fit_->out;
  EXPECT_NE(fit_->out.find("network: 2 -> 5 -> 5 -> 1, tanh, biases"), std::string::npos) << fit_->out;
  EXPECT_NE(fit_->out.find("fitted: 2000 steps"), std::string::npos) << fit_->out;
  EXPECT_TRUE(fs::exists(path("moons.elbo")));
}

TEST_F(Moons, predict_writes_one_row_per_input_row) {
  CliResult r = run_cli(*dir_, {"predict", "--model", path("moons.elbo"), "--data", path("test.csv"), "--draws", "300"});
  ASSERT_EQ(r.code, 0) << describe(r);
  CsvText csv = parse_csv_text(r.out);
  EXPECT_EQ(csv.header, (std::vector<std::string>{"mean", "sd", "label", "entropy", "mutual_info"}));
  ASSERT_EQ(csv.rows.size(), 200u);
  for (const auto& row : csv.rows) {
    ASSERT_EQ(row.size(), 5u);
    double p = row[0], sd = row[1], label = row[2], h = row[3], mi = row[4];
    EXPECT_GE(p, 0);
    EXPECT_LE(p, 1);
    EXPECT_GE(sd, 0);
    EXPECT_LE(sd, 0.5);
    EXPECT_EQ(label, p > 0.5 ? 1 : 0);
    // entropy of the mean probability, in nats
    double expected_h = -(p > 0 ? p * std::log(p) : 0) - (p < 1 ? (1 - p) * std::log(1 - p) : 0);
    EXPECT_NEAR(h, expected_h, 1e-4);
    EXPECT_GE(mi, 0);
    EXPECT_LE(mi, h + 1e-6);
  }
}

TEST_F(Moons, predict_accepts_features_without_target_and_npy_and_writes_atomically) {
  // x only, as NPY: columns c0, c1 do not match the names x1, x2, so they go by position.
  Tensor x(DType::f64, {3, 2}, {-1.0, 0.5, 0.0, 0.0, 2.0, 0.5});
  data::write_npy(path("x.npy"), x);
  const std::string out = path("pred.csv");
  CliResult r = run_cli(*dir_, {"predict", "--model", path("moons.elbo"), "--data", path("x.npy"), "--out", out});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, "");
  CsvText csv = parse_csv_text(read_text(out));
  ASSERT_EQ(csv.rows.size(), 3u);
  // (-1, 0.5) is on the outer moon (label 0), (2, 0.5) right of the inner one (label 1).
  EXPECT_EQ(csv.rows[0][2], 0);
  EXPECT_EQ(csv.rows[2][2], 1);
  // The same rows with the training file's columns give the same predictions (same seed).
  write_text(path("x.csv"), "x1,x2\n-1,0.5\n0,0\n2,0.5\n");
  CliResult again = run_cli(*dir_, {"predict", "--model", path("moons.elbo"), "--data", path("x.csv")});
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_EQ(again.out, read_text(out));
}

TEST_F(Moons, evaluate_reports_accuracy_above_85_percent) {
  CliResult r = run_cli(*dir_, {"evaluate", "--model", path("moons.elbo"), "--data", path("test.csv"), "--json"});
  ASSERT_EQ(r.code, 0) << describe(r);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["rows"], 200);
  // moons with noise 0.2 is separable to ~96 % (the tutorial's figure); 2000 steps on 200
  // rows reach well above 85 % on fresh data.
  EXPECT_GT(j["accuracy"].get<double>(), 0.85) << r.out;
  EXPECT_LT(j["brier"].get<double>(), 0.25) << r.out;  // twice the one-probability Brier
  EXPECT_GE(j["ece"].get<double>(), 0);
  EXPECT_LT(j["ece"].get<double>(), 0.15) << r.out;
  // mlpd above log(0.5): better than a coin
  EXPECT_GT(j["mlpd"].get<double>(), std::log(0.5)) << r.out;
  EXPECT_FALSE(j.contains("rmse"));

  CliResult table = run_cli(*dir_, {"evaluate", "--model", path("moons.elbo"), "--data", path("test.csv")});
  ASSERT_EQ(table.code, 0) << describe(table);
  for (const char* key : {"rows", "mlpd", "accuracy", "brier", "ece"})
    EXPECT_NE(table.out.find(key), std::string::npos) << key << "\n" << table.out;
}

TEST_F(Moons, summary_prints_every_weight) {
  CliResult r = run_cli(*dir_, {"summary", "--model", path("moons.elbo")});
  ASSERT_EQ(r.code, 0) << describe(r);
  for (const char* name : {"w_in_1[0,0]", "w_in_1[1,4]", "w_1_2[4,4]", "w_2_out[4]", "b_1[0]", "b_out", "hdi_3%"})
    EXPECT_NE(r.out.find(name), std::string::npos) << name << "\n" << r.out;
}

TEST_F(Moons, fit_prints_and_stores_the_psis_khat_and_summary_shows_it) {
  // The line's form, and a value in range; the value itself is the library's
  // (tests/vi/psis_test.cpp checks it against closed forms).
  const size_t at = fit_->out.find("PSIS k-hat: ");
  ASSERT_NE(at, std::string::npos) << fit_->out;
  const double khat = std::stod(fit_->out.substr(at + 12));
  EXPECT_TRUE(std::isfinite(khat)) << fit_->out;
  EXPECT_NE(fit_->out.find("; 1000 draws, ESS ", at), std::string::npos) << fit_->out;
  CliResult s = run_cli(*dir_, {"summary", "--model", path("moons.elbo")});
  ASSERT_EQ(s.code, 0) << describe(s);
  char want[64];
  std::snprintf(want, sizeof want, "PSIS k-hat: %.2f, ", khat);
  EXPECT_NE(s.out.find(want), std::string::npos) << want << "\n" << s.out;
  // --psis-draws 0 skips it.
  CliResult r = run_cli(*dir_, {"fit", "--recipe", "single", "--train", path("train.csv"), "--out",
                                path("no_khat.elbo"), "--iters", "200",
                                "--psis-draws", "0"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out.find("PSIS k-hat"), std::string::npos) << r.out;
  CliResult s0 = run_cli(*dir_, {"summary", "--model", path("no_khat.elbo")});
  EXPECT_EQ(s0.out.find("PSIS k-hat"), std::string::npos) << s0.out;
}

TEST_F(Moons, check_recomputes_the_khat_with_more_draws) {
  CliResult r = run_cli(*dir_, {"check", "--model", path("moons.elbo"), "--data", path("train.csv"), "--draws", "3000"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("(200 rows)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PSIS k-hat: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("; 3000 draws, ESS "), std::string::npos) << r.out;
  CliResult j = run_cli(*dir_, {"check", "--model", path("moons.elbo"), "--data", path("train.csv"), "--draws", "3000",
                                "--json", "--threads", "2"});
  ASSERT_EQ(j.code, 0) << describe(j);
  const nlohmann::json v = nlohmann::json::parse(j.out);
  EXPECT_EQ(v["draws"].get<int64_t>(), 3000);
  EXPECT_EQ(v["rows"].get<int64_t>(), 200);
  const double khat = v["khat"].get<double>();
  EXPECT_EQ(v["verdict"].get<std::string>(), khat < 0.5 ? "good" : khat < 0.7 ? "usable" : "do not trust");
  EXPECT_GE(v["ess"].get<double>(), 1.0);
  EXPECT_LE(v["ess"].get<double>(), 3000.0);
  // The text and the JSON are the same computation (the threads do not change the draws).
  char want[64];
  std::snprintf(want, sizeof want, "PSIS k-hat: %.2f, ", khat);
  EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  // The fitted model's own ELBO estimate is finite on its training data.
  EXPECT_TRUE(std::isfinite(v["elbo"].get<double>())) << j.out;
}

TEST_F(Moons, the_same_seed_fits_the_same_model) {
  CliResult r = run_cli(*dir_, {"fit", "--recipe", "single", "--train", path("train.csv"), "--out", path("again.elbo"),
                                "--iters", "2000",
                                "--seed", "3"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(read_text(path("again.elbo")), read_text(path("moons.elbo")));
}

TEST_F(Moons, minibatches_and_the_tutorial_network_fit_too) {
  CliResult r = run_cli(*dir_, {"fit", "--recipe", "single", "--train", path("train.csv"), "--out", path("mb.elbo"),
                                "--iters", "2000",
                                "--batch-size", "50", "--no-bias", "--dtype", "float64"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("minibatches of 50 rows"), std::string::npos) << r.out;
  CliResult e = run_cli(*dir_, {"evaluate", "--model", path("mb.elbo"), "--data", path("test.csv"), "--json"});
  ASSERT_EQ(e.code, 0) << describe(e);
  EXPECT_GT(nlohmann::json::parse(e.out)["accuracy"].get<double>(), 0.8) << e.out;
}

TEST_F(Moons, fit_until_converged_stops_before_the_cap) {
  CliResult r = run_cli(*dir_, {"fit", "--recipe", "single", "--train", path("train.csv"), "--out", path("conv.elbo")});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("until converged"), std::string::npos) << r.out;
  CliResult e = run_cli(*dir_, {"evaluate", "--model", path("conv.elbo"), "--data", path("test.csv"), "--json"});
  ASSERT_EQ(e.code, 0) << describe(e);
  EXPECT_GT(nlohmann::json::parse(e.out)["accuracy"].get<double>(), 0.9) << r.out << e.out;
}

}  // namespace
}  // namespace elbo::app_test
