// Noise that depends on the inputs through the command line: `elbo fit --likelihood
// heteroscedastic_normal` (and heteroscedastic_student_t) learns a row's noise from the
// network's second output, so a sine whose noise is 0.05 for x < 0 and 0.6 for x > 0 gets
// narrow intervals on the left and wide ones on the right, where the normal likelihood
// gives one width everywhere.
#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"
#include "elbo/data/csv.hpp"
#include "elbo/graph/random.hpp"

namespace elbo::app_test {
namespace {

// y = 3 + 2 sin(x) + noise, x uniform on [-3, 3], noise sd 0.05 (x < 0) or 0.6 (x > 0).
void write_two_noise_sine(const std::string& path, int64_t rows, uint64_t seed) {
  Philox rng(seed);
  Tensor u = rng.uniform(DType::f64, {rows}, 2, 0);
  Tensor e = rng.normal(DType::f64, {rows}, 3, 0);
  Tensor t(DType::f64, {rows, 2});
  for (int64_t r = 0; r < rows; ++r) {
    const double x = -3 + 6 * u[r];
    t.set(r * 2, x);
    t.set(r * 2 + 1, 3 + 2 * std::sin(x) + (x < 0 ? 0.05 : 0.6) * e[r]);
  }
  data::write_csv(path, {"x", "y"}, t);
}

TEST(cli_heteroscedastic, the_predictive_sd_follows_the_inputs_noise) {
  TempDir dir;
  write_two_noise_sine(dir / "train.csv", 400, 51);
  write_two_noise_sine(dir / "test.csv", 400, 52);
  write_text(dir / "x.csv", "x\n-1.5\n1.5\n");
  auto fit = [&](const std::string& model, const std::string& likelihood) {
    CliResult r = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / model,
                                "--likelihood", likelihood,
                                "--hidden", "16", "--iters", "12000", "--seed", "3"});
    EXPECT_EQ(r.code, 0) << describe(r);
    return r;
  };
  auto sd_ratio = [&](const std::string& model) {  // sd at x = 1.5 over sd at x = -1.5
    CliResult pred = run_cli(dir, {"predict", "--model", dir / model, "--data", dir / "x.csv"});
    EXPECT_EQ(pred.code, 0) << describe(pred);
    CsvText csv = parse_csv_text(pred.out);
    EXPECT_EQ(csv.header, (std::vector<std::string>{"mean", "sd", "lo", "hi"}));
    return csv.rows.size() == 2 ? csv.rows[1][1] / csv.rows[0][1] : NAN;
  };
  auto mlpd = [&](const std::string& model) {
    CliResult ev = run_cli(dir, {"evaluate", "--model", dir / model, "--data", dir / "test.csv", "--json"});
    EXPECT_EQ(ev.code, 0) << describe(ev);
    return nlohmann::json::parse(ev.out)["mlpd"].get<double>();
  };
  CliResult h = fit("h.elbo", "heteroscedastic_normal");
  EXPECT_NE(h.out.find("likelihood: heteroscedastic_normal (as asked with --likelihood)"), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("1 -> 16 -> 2"), std::string::npos) << h.out;  // two outputs
  fit("n.elbo", "normal");
  fit("t.elbo", "heteroscedastic_student_t");
  // The noise ratio is 12; the posterior's own spread adds to both sides. Measured with GCC
  // (2026-12-07) on the AVX-512, AVX2 and baseline kernels (ELBO_ISA): 9.1 / 9.0 / 8.6 and
  // 9.4 / 10.1 / 9.4 against 1.0; the thresholds (4 against 1.5) leave wide margins. 12,000
  // steps, not fewer: at 6000 the AVX-512 kernels' rounding took the heteroscedastic
  // normal's fit on a slower path, still at 3.5 (-0.27 nats) where the other two were at 9.7
  // and 9.1; at 12,000 and 20,000 all three agree, and seeds 1, 2, 4 and 5 give 8.5-10.5.
  EXPECT_GT(sd_ratio("h.elbo"), 4);
  EXPECT_GT(sd_ratio("t.elbo"), 4);
  EXPECT_LT(sd_ratio("n.elbo"), 1.5);
  // Fresh data: the narrow left half scores far better than under one noise sd for all
  // rows (measured with GCC at 12,000 steps, AVX-512 kernels: +0.76 and +0.73 nats per
  // row; asked: +0.3).
  const double normal = mlpd("n.elbo");
  EXPECT_GT(mlpd("h.elbo"), normal + 0.3);
  EXPECT_GT(mlpd("t.elbo"), normal + 0.3);

  // Laplace over every weight (K-FAC curvature, whose finite differences move f_2 too; the
  // linearised predictive) keeps the two noise levels apart (measured with GCC: sd ratio 12.4,
  // mlpd 0.31, against normal's -0.57).
  CliResult l = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "l.elbo",
                              "--likelihood",
                              "heteroscedastic_normal", "--hidden", "16", "--seed", "3", "--method", "laplace",
                              "--subset", "all", "--hessian", "kron"});
  ASSERT_EQ(l.code, 0) << describe(l);
  EXPECT_GT(sd_ratio("l.elbo"), 4);
  EXPECT_GT(mlpd("l.elbo"), normal + 0.3);

  CliResult s = run_cli(dir, {"summary", "--model", dir / "h.elbo"});
  ASSERT_EQ(s.code, 0) << describe(s);
  EXPECT_NE(s.out.find("a row's sd is sigma s(f_2), s(u) = softplus(u) / ln 2 + 0.001"), std::string::npos) << s.out;
}

}  // namespace
}  // namespace elbo::app_test
