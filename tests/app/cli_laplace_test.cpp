// elbo fit --method laplace through the command line: a classifier (moons) and a regression
// (a sine), each held to the bounds the ADVI tests of the same data use, over the last layer
// and (K-FAC, linearised predictive) over every weight, then predict, evaluate and summary
// on the Laplace model files, and the option checks.
#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"

namespace elbo::app_test {
namespace {

TEST(cli_laplace, classifies_moons_as_well_as_advi_and_prints_khat) {
  TempDir dir;
  write_moons(dir / "train.csv", 200, 1);
  write_moons(dir / "test.csv", 200, 2);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                                "--method", "laplace"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  EXPECT_NE(fit.out.find("fitting: laplace (hessian full over the last layer, 51 parameters)"), std::string::npos)
      << fit.out;
  EXPECT_NE(fit.out.find("MAP: "), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("prior precision "), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("PSIS k-hat: "), std::string::npos) << fit.out;
  // The bounds of cli_bernoulli_test.cpp's ADVI fit on the same data.
  CliResult eval = run_cli(dir, {"evaluate", "--model", dir / "m.elbo", "--data", dir / "test.csv", "--json"});
  ASSERT_EQ(eval.code, 0) << describe(eval);
  auto j = nlohmann::json::parse(eval.out);
  EXPECT_GT(j["accuracy"].get<double>(), 0.85) << eval.out;
  EXPECT_GT(j["mlpd"].get<double>(), std::log(0.5)) << eval.out;
  CliResult summary = run_cli(dir, {"summary", "--model", dir / "m.elbo"});
  ASSERT_EQ(summary.code, 0) << describe(summary);
  // The last layer (5 weights and a bias at 45..50) as one full block.
  EXPECT_NE(summary.out.find("kron:45x6x1 approximation of 51 parameters"), std::string::npos) << summary.out;
  EXPECT_NE(summary.out.find("fit: laplace, hessian full over the last layer, prior precision "), std::string::npos)
      << summary.out;
  EXPECT_NE(summary.out.find("PSIS k-hat: "), std::string::npos) << summary.out;

  // Every weight: Kronecker-factored Gauss-Newton blocks with the linearised predictive
  // (the default over all the weights), held to the same bounds.
  CliResult kron = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "k.elbo",
                                 "--method", "laplace",
                                 "--hessian", "kron", "--subset", "all"});
  ASSERT_EQ(kron.code, 0) << describe(kron);
  EXPECT_NE(kron.out.find("hessian kron over all the weights, 51 parameters"), std::string::npos) << kron.out;
  EXPECT_NE(kron.out.find("; linearised predictive"), std::string::npos) << kron.out;
  EXPECT_NE(kron.out.find("PSIS k-hat: "), std::string::npos) << kron.out;
  CliResult keval = run_cli(dir, {"evaluate", "--model", dir / "k.elbo", "--data", dir / "test.csv", "--json"});
  ASSERT_EQ(keval.code, 0) << describe(keval);
  j = nlohmann::json::parse(keval.out);
  EXPECT_GT(j["accuracy"].get<double>(), 0.85) << keval.out;
  EXPECT_GT(j["mlpd"].get<double>(), std::log(0.5)) << keval.out;
  CliResult ksummary = run_cli(dir, {"summary", "--model", dir / "k.elbo"});
  ASSERT_EQ(ksummary.code, 0) << describe(ksummary);
  EXPECT_NE(ksummary.out.find("hessian kron over all the weights"), std::string::npos) << ksummary.out;
  EXPECT_NE(ksummary.out.find("linearised predictive"), std::string::npos) << ksummary.out;
  // The network description says how it predicts, in format 3 (an older elbo refuses the
  // file instead of predicting from the network itself); the last-layer file stays format 2.
  const std::string kron_file = read_text(dir / "k.elbo");
  EXPECT_NE(kron_file.find("\"format\":3"), std::string::npos);
  EXPECT_NE(kron_file.find("\"predictive\":\"linearised\""), std::string::npos);
  EXPECT_NE(read_text(dir / "m.elbo").find("\"format\":2"), std::string::npos);

  // The same fit's sampled predictive differs from the linearised one (the network is not
  // linear in its first layers), and both files predict.
  CliResult sampled = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "s.elbo",
                                    "--method", "laplace",
                                    "--hessian", "kron", "--subset", "all", "--predictive", "sampled"});
  ASSERT_EQ(sampled.code, 0) << describe(sampled);
  CliResult lin_pred = run_cli(dir, {"predict", "--model", dir / "k.elbo", "--data", dir / "test.csv"});
  CliResult smp_pred = run_cli(dir, {"predict", "--model", dir / "s.elbo", "--data", dir / "test.csv"});
  ASSERT_EQ(lin_pred.code, 0) << describe(lin_pred);
  ASSERT_EQ(smp_pred.code, 0) << describe(smp_pred);
  EXPECT_NE(lin_pred.out, smp_pred.out);

  // The probit approximation of the linearised predictive: one deterministic answer, close
  // to the linearised draws' (it approximates their mean probability; on moons the two
  // test mlpd agree within 0.05 nats a row), and refused for a regression.
  CliResult probit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "p.elbo",
                                   "--method", "laplace",
                                   "--hessian", "kron", "--subset", "all", "--predictive", "probit"});
  ASSERT_EQ(probit.code, 0) << describe(probit);
  EXPECT_NE(probit.out.find("; probit predictive"), std::string::npos) << probit.out;
  CliResult peval = run_cli(dir, {"evaluate", "--model", dir / "p.elbo", "--data", dir / "test.csv", "--json"});
  ASSERT_EQ(peval.code, 0) << describe(peval);
  const auto pj = nlohmann::json::parse(peval.out);
  EXPECT_GT(pj["accuracy"].get<double>(), 0.85) << peval.out;
  EXPECT_NEAR(pj["mlpd"].get<double>(), j["mlpd"].get<double>(), 0.05) << peval.out << " vs " << keval.out;
  CliResult p1 = run_cli(dir, {"predict", "--model", dir / "p.elbo", "--data", dir / "test.csv", "--seed", "1"});
  CliResult p2 = run_cli(dir, {"predict", "--model", dir / "p.elbo", "--data", dir / "test.csv", "--seed", "2"});
  ASSERT_EQ(p1.code, 0) << describe(p1);
  EXPECT_EQ(p1.out, p2.out);  // no draws: the seed changes nothing

  // Diagonal over every weight.
  CliResult diag = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "d.elbo",
                                 "--method", "laplace",
                                 "--hessian", "diag", "--subset", "all"});
  ASSERT_EQ(diag.code, 0) << describe(diag);
  EXPECT_NE(diag.out.find("hessian diag over all the weights"), std::string::npos) << diag.out;
  CliResult pred = run_cli(dir, {"predict", "--model", dir / "d.elbo", "--data", dir / "test.csv"});
  ASSERT_EQ(pred.code, 0) << describe(pred);
}

TEST(cli_laplace, chooses_a_prior_precision_per_layer) {
  // --prior-structure layerwise: one precision per layer (3 here), held to the same bounds.
  TempDir dir;
  write_moons(dir / "train.csv", 200, 1);
  write_moons(dir / "test.csv", 200, 2);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                                "--method", "laplace",
                                "--subset", "all", "--hessian", "kron", "--prior-structure", "layerwise"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  const size_t at = fit.out.find("prior precisions per layer ");
  ASSERT_NE(at, std::string::npos) << fit.out;
  const std::string line = fit.out.substr(at, fit.out.find('\n', at) - at);
  EXPECT_EQ(std::count(line.begin(), line.end(), ','), 3) << line;  // 3 precisions, then the evidence
  CliResult eval = run_cli(dir, {"evaluate", "--model", dir / "m.elbo", "--data", dir / "test.csv", "--json"});
  ASSERT_EQ(eval.code, 0) << describe(eval);
  EXPECT_GT(nlohmann::json::parse(eval.out)["accuracy"].get<double>(), 0.85) << eval.out;
  CliResult full = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "f.elbo",
                                 "--method", "laplace",
                                 "--hessian", "full", "--prior-structure", "layerwise"});
  EXPECT_NE(full.code, 0);
  EXPECT_NE(full.err.find("--prior-structure layerwise: needs --hessian diag or kron"), std::string::npos)
      << describe(full);
  // Over the last layer, one group: the output layer's precision alone is chosen and printed.
  CliResult last = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "l.elbo",
                                 "--method", "laplace",
                                 "--hessian", "kron", "--prior-structure", "layerwise"});
  ASSERT_EQ(last.code, 0) << describe(last);
  EXPECT_NE(last.out.find("; prior precision "), std::string::npos) << last.out;
  EXPECT_EQ(last.out.find("per layer"), std::string::npos) << last.out;
}

TEST(cli_laplace, recovers_a_sine_within_its_noise) {
  TempDir dir;
  write_sine(dir / "train.csv", 300, 0.2, 21);
  write_sine(dir / "test.csv", 300, 0.2, 22);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                                "--method", "laplace"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  CliResult eval = run_cli(dir, {"evaluate", "--model", dir / "m.elbo", "--data", dir / "test.csv", "--json"});
  ASSERT_EQ(eval.code, 0) << describe(eval);
  auto j = nlohmann::json::parse(eval.out);
  // cli_regression_test.cpp's bounds for ADVI: the noise sd is 0.2, RMSE within 0.3.
  EXPECT_LT(j["rmse"].get<double>(), 0.3) << eval.out;
  EXPECT_GT(j["mlpd"].get<double>(), 0.0) << eval.out;
}

TEST(cli_laplace, names_the_options_it_does_not_take) {
  TempDir dir;
  write_moons(dir / "train.csv", 50, 1);
  CliResult r = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                              "--method", "laplace",
                              "--batch-size", "10"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--batch-size: laplace runs L-BFGS on all the rows"), std::string::npos) << describe(r);
  CliResult h = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                              "--hessian", "diag"});
  EXPECT_NE(h.code, 0);
  EXPECT_NE(h.err.find("--hessian: applies to --method laplace only"), std::string::npos) << describe(h);
  CliResult p = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                              "--predictive", "sampled"});
  EXPECT_NE(p.code, 0);
  EXPECT_NE(p.err.find("--predictive: applies to --method laplace only"), std::string::npos) << describe(p);
  CliResult k = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                              "--method", "laplace",
                              "--hessian", "kron", "--prior", "hierarchical"});
  EXPECT_NE(k.code, 0);
  EXPECT_NE(k.err.find("--hessian kron: needs --prior normal"), std::string::npos) << describe(k);
  write_sine(dir / "sine.csv", 50, 0.2, 3);
  CliResult rp = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "sine.csv", "--out", dir / "m.elbo",
                               "--method", "laplace",
                               "--subset", "all", "--predictive", "probit"});
  EXPECT_NE(rp.code, 0);
  EXPECT_NE(rp.err.find("--predictive probit: the probit approximation is for class labels"), std::string::npos)
      << describe(rp);
}

}  // namespace
}  // namespace elbo::app_test
