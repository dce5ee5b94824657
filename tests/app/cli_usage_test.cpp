// Every usage error exits with 2 and a message naming the flag and value; every runtime
// error exits with 1 and a message naming the file; neither leaves an output file behind.
#include <cctype>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"
#include "elbo/data/npy.hpp"

namespace elbo::app_test {
namespace {

namespace fs = std::filesystem;

// One data set and one fitted model shared by every case (fitted once, briefly).
class CliErrors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    write_moons(*dir_ / "train.csv", 120, 1);
    write_blobs(*dir_ / "blobs.csv", 60, 2);
    CliResult r = run_cli(*dir_, {"fit", "--recipe", "single", "--train", *dir_ / "train.csv", "--out",
                                  *dir_ / "m.elbo", "--iters", "200"});
    ASSERT_EQ(r.code, 0) << describe(r);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string path(const std::string& name) { return *dir_ / name; }
  static TempDir* dir_;
  TempDir out_;  // outputs of the case under test: must stay empty
};
TempDir* CliErrors::dir_ = nullptr;

struct ErrorCase {
  std::string what;
  std::vector<std::string> args;  // "{train}", "{blobs}", "{model}", "{out}" are substituted
  int code;
  std::string message;  // a part of stderr
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.what; }

// Test names say the case: usage/CliErrorTable.exits_with_its_code_and_message_and_writes_nothing/unknown_flag.
std::string case_name(const ::testing::TestParamInfo<ErrorCase>& info) {
  std::string name;
  for (char c : info.param.what) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

class CliErrorTable : public CliErrors, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(CliErrorTable, exits_with_its_code_and_message_and_writes_nothing) {
  const ErrorCase& c = GetParam();
  std::vector<std::string> args;
  for (std::string a : c.args) {
    if (a == "{train}") a = path("train.csv");
    if (a == "{blobs}") a = path("blobs.csv");
    if (a == "{model}") a = path("m.elbo");
    if (a == "{out}") a = out_ / "result";
    if (a == "{outdir}") a = out_.path().string();
    args.push_back(a);
  }
  CliResult r = run_cli(out_, args);
  EXPECT_EQ(r.code, c.code) << describe(r);
  EXPECT_NE(r.err.find(c.message), std::string::npos) << "expected '" << c.message << "' in\n" << describe(r);
  EXPECT_TRUE(out_.files().empty()) << "left behind: " << out_.files().front();
}

const std::vector<std::string> fit = {"fit", "--train", "{train}", "--out", "{out}"};
std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

INSTANTIATE_TEST_SUITE_P(
    usage, CliErrorTable,
    ::testing::Values(
        ErrorCase{"no command", {}, 2, "A subcommand is required"},
        ErrorCase{"unknown command", {"train"}, 2, "train"},
        ErrorCase{"unknown flag", with(fit, {"--frobnicate"}), 2, "--frobnicate"},
        ErrorCase{"missing required flag", {"fit", "--train", "{train}"}, 2, "--out is required"},
        ErrorCase{"malformed hidden", with(fit, {"--hidden", "5,,x"}), 2,
                  "--hidden: '5,,x' is not a comma-separated list of positive integers"},
        ErrorCase{"zero hidden units", with(fit, {"--hidden", "5,0"}), 2, "--hidden: '5,0'"},
        ErrorCase{"zero iters", with(fit, {"--iters", "0"}), 2, "--iters: '0' is not a positive integer"},
        ErrorCase{"negative iters", with(fit, {"--iters", "-5"}), 2, "--iters"},
        ErrorCase{"nan iters", with(fit, {"--iters", "nan"}), 2, "--iters: 'nan' is not a positive integer"},
        ErrorCase{"negative lr", with(fit, {"--lr", "-0.1"}), 2, "--lr: '-0.1' is not a positive finite number"},
        ErrorCase{"nan lr", with(fit, {"--lr", "nan"}), 2, "--lr: 'nan' is not a positive finite number"},
        ErrorCase{"zero lr", with(fit, {"--lr", "0"}), 2, "--lr: '0'"},
        ErrorCase{"nan prior sd", with(fit, {"--prior-sd", "nan"}), 2, "--prior-sd: 'nan'"},
        ErrorCase{"zero batch size", with(fit, {"--batch-size", "0"}), 2, "--batch-size: '0'"},
        ErrorCase{"too few psis draws", with(fit, {"--psis-draws", "5"}), 2,
                  "--psis-draws: '5' is neither 0 nor an integer of at least 25"},
        ErrorCase{"too few check draws", {"check", "--model", "{model}", "--data", "{train}", "--draws", "24"}, 2,
                  "--draws: '24' is not an integer of at least 25"},
        ErrorCase{"check without data", {"check", "--model", "{model}"}, 2, "--data is required"},
        ErrorCase{"batch larger than data", with(fit, {"--batch-size", "1000"}), 2,
                  "--batch-size: 1000 is more than the 120 rows"},
        ErrorCase{"unknown likelihood", with(fit, {"--likelihood", "ordinal"}), 2, "--likelihood: ordinal not in"},
        ErrorCase{"unknown method", with(fit, {"--method", "nuts"}), 2, "--method: nuts not in"},
        ErrorCase{"unknown flow layer", with(fit, {"--method", "nfvi", "--flow", "scale-plnar"}), 2,
                  "--flow: flow formula 'scale-plnar': unknown layer 'plnar' (part 2); choose planar, radial, hh, "
                  "loc, scale, iaf"},
        ErrorCase{"zero flow repeats", with(fit, {"--method", "nfvi", "--flow", "planar*0"}), 2,
                  "the repeat count '0' of 'planar*0' (part 1) must be a whole number from 1 to 10000"},
        ErrorCase{"flow without nfvi", with(fit, {"--flow", "planar"}), 2,
                  "--flow: applies to --method nfvi only (the method is advi)"},
        ErrorCase{"zero rank", with(fit, {"--method", "lowrank_advi", "--rank", "0"}), 2,
                  "--rank: '0' is not a positive integer"},
        ErrorCase{"rank without lowrank", with(fit, {"--method", "fullrank_advi", "--rank", "2"}), 2,
                  "--rank: applies to --method lowrank_advi only (the method is fullrank_advi)"},
        ErrorCase{"unknown objective", with(fit, {"--objective", "elbo"}), 2,
                  "--objective: objective 'elbo': write kl, renyi:ALPHA (ALPHA >= 0, not 1) or iwae:K (K >= 1)"},
        ErrorCase{"renyi alpha one", with(fit, {"--objective", "renyi:1"}), 2, "--objective: objective 'renyi:1'"},
        ErrorCase{"iwae particles against mc samples", with(fit, {"--objective", "iwae:8", "--mc-samples", "4"}), 2,
                  "--objective: iwae:8 takes 8 particles, but --mc-samples is 4"},
        ErrorCase{"particles without svgd", with(fit, {"--particles", "50"}), 2,
                  "--particles: applies to --method svgd or asvgd only (the method is advi)"},
        ErrorCase{"one particle", with(fit, {"--method", "svgd", "--particles", "1"}), 2, "--particles: '1'"},
        ErrorCase{"objective with svgd", with(fit, {"--method", "svgd", "--objective", "iwae:4"}), 2,
                  "--objective: svgd follows the Stein direction; it takes no objective"},
        ErrorCase{"mc samples with svgd", with(fit, {"--method", "svgd", "--mc-samples", "4"}), 2,
                  "--mc-samples: svgd evaluates every particle each step; set --particles instead"},
        ErrorCase{"asvgd with one draw", with(fit, {"--method", "asvgd", "--mc-samples", "1"}), 2,
                  "--mc-samples: asvgd needs at least 2 draws a step"},
        ErrorCase{"rank above the parameters", with(fit, {"--method", "lowrank_advi", "--rank", "500"}), 2,
                  "--rank: 500 is more than the network's 51 parameters"},
        ErrorCase{"unknown optimizer", with(fit, {"--optimizer", "adamw"}), 2, "--optimizer: adamw not in"},
        ErrorCase{"unknown activation", with(fit, {"--activation", "gelu"}), 2, "--activation: gelu not in"},
        ErrorCase{"unknown dtype", with(fit, {"--dtype", "float16"}), 2, "--dtype: float16 not in"},
        ErrorCase{"unknown target", with(fit, {"--target", "label"}), 2,
                  "--target: 'label' is neither a column name nor a 0-based column index"},
        ErrorCase{"target index out of range", with(fit, {"--target", "3"}), 2, "the columns are: x1, x2, y"},
        ErrorCase{"labels that do not fit bernoulli",
                  {"fit", "--train", "{blobs}", "--out", "{out}", "--target", "label",
                   "--likelihood", "bernoulli"},
                  2,
                  "--likelihood: 'bernoulli' does not fit target 'label'"},
        ErrorCase{"labels that do not fit categorical",
                  {"fit", "--train", "{blobs}", "--out", "{out}", "--target", "a",
                   "--likelihood", "categorical"},
                  2,
                  "is not a class label"},
        ErrorCase{"output directory missing", {"fit", "--train", "{train}", "--out",
                                               "/nonexistent-elbo-dir/m.elbo"}, 2,
                  "--out: directory '/nonexistent-elbo-dir' does not exist"},
        ErrorCase{"zero draws", {"predict", "--model", "{model}", "--data", "{train}", "--draws", "0"}, 2,
                  "--draws: '0' is not a positive integer"},
        ErrorCase{"nan draws", {"evaluate", "--model", "{model}", "--data", "{train}", "--draws", "nan"}, 2,
                  "--draws: 'nan'"},
        ErrorCase{"interval outside (0, 1)", {"predict", "--model", "{model}", "--data", "{train}", "--interval", "1.5"},
                  2, "--interval: '1.5' is not a number strictly between 0 and 1"},
        ErrorCase{"predict into a missing directory",
                  {"predict", "--model", "{model}", "--data", "{train}", "--out", "/nonexistent-elbo-dir/p.csv"}, 2,
                  "--out: directory '/nonexistent-elbo-dir' does not exist"},
        ErrorCase{"plot into a missing directory",
                  {"plot", "--model", "{model}", "--data", "{train}", "--out", "/nonexistent-elbo-dir"}, 2,
                  "--out: directory '/nonexistent-elbo-dir' does not exist"},
        ErrorCase{"demo into a missing parent", {"demo", "--quick", "--out", "/nonexistent-elbo-dir/demo"}, 2,
                  "--out: directory '/nonexistent-elbo-dir' does not exist"},
        ErrorCase{"summary without model", {"summary"}, 2, "--model is required"},
        ErrorCase{"fit without training data", {"fit", "--out", "{out}"}, 2,
                  "--train is required (or --resume CHECKPOINT)"},
        ErrorCase{"zero checkpoint interval", with(fit, {"--checkpoint-every", "0"}), 2,
                  "--checkpoint-every: '0' is not a positive integer"},
        ErrorCase{"checkpoint path without interval", with(fit, {"--checkpoint", "{out}"}), 2,
                  "needs --checkpoint-every N"},
        ErrorCase{"checkpoint onto the model file", with(fit, {"--checkpoint-every", "10", "--checkpoint", "{out}"}), 2,
                  "is the model file --out; give another path"},
        ErrorCase{"resume with a fit flag", {"fit", "--resume", "{model}", "--out", "{out}", "--lr", "0.1"}, 2,
                  "--resume: --lr cannot be combined with --resume; the fit continues with the settings saved in"}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    runtime, CliErrorTable,
    ::testing::Values(
        ErrorCase{"missing training file", {"fit", "--train", "/nonexistent-elbo-dir/t.csv",
                                            "--out", "{out}"}, 1,
                  "cannot open '/nonexistent-elbo-dir/t.csv'"},
        ErrorCase{"missing model file", {"predict", "--model", "/nonexistent-elbo-dir/m.elbo", "--data", "{train}",
                                         "--out", "{out}"},
                  1, "/nonexistent-elbo-dir/m.elbo"},
        ErrorCase{"foreign model file", {"predict", "--model", "{train}", "--data", "{train}", "--out", "{out}"}, 1,
                  "not an elbo model file"},
        ErrorCase{"resume from a missing checkpoint",
                  {"fit", "--resume", "/nonexistent-elbo-dir/m.ckpt", "--out", "{out}"}, 1,
                  "cannot open '/nonexistent-elbo-dir/m.ckpt'"},
        ErrorCase{"resume from a model that is not a checkpoint", {"fit", "--resume", "{model}", "--out", "{out}"}, 1,
                  "not a checkpoint of `elbo fit` (its metadata has no 'elbo.checkpoint' entry)"},
        ErrorCase{"evaluate on a model that is a directory", {"evaluate", "--model", "{outdir}", "--data", "{train}"}, 1,
                  "elbo evaluate: error:"}),
    case_name);

TEST_F(CliErrors, data_file_errors_name_file_line_and_column_and_leave_no_model) {
  const std::string bad = out_ / "bad.csv";
  write_text(bad, "x1,x2,y\n0.5,1.0,1\n0.25,abc,0\n");
  CliResult r = run_cli(out_, {"fit", "--train", bad, "--out", out_ / "m.elbo"});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find(bad + ":3:2"), std::string::npos) << describe(r);
  EXPECT_FALSE(fs::exists(out_ / "m.elbo"));
}

TEST_F(CliErrors, npy_that_is_not_two_dimensional_is_refused) {
  const std::string npy = out_ / "x.npy";
  data::write_npy(npy, Tensor(DType::f64, {4}, {1, 2, 3, 4}));
  CliResult r = run_cli(out_, {"fit", "--train", npy, "--out", out_ / "m.elbo"});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find("expected a 2-D array [rows, columns], got shape [4]"), std::string::npos) << describe(r);
  EXPECT_FALSE(fs::exists(out_ / "m.elbo"));
}

// A damaged model file is refused with the io layer's message, and an existing output file
// is left as it was.
class DamagedModel : public CliErrors {
 protected:
  void expect_refused(const std::string& model, const std::string& message) {
    const std::string pred = out_ / "pred.csv";
    write_text(pred, "old\n");
    CliResult r = run_cli(out_, {"predict", "--model", model, "--data", path("train.csv"), "--out", pred});
    EXPECT_EQ(r.code, 1) << describe(r);
    EXPECT_NE(r.err.find(message), std::string::npos) << "expected '" << message << "' in\n" << describe(r);
    EXPECT_EQ(read_text(pred), "old\n");
    for (const std::string& f : out_.files()) EXPECT_TRUE(f == "pred.csv" || f == fs::path(model).filename()) << f;
  }
};

TEST_F(DamagedModel, truncated_file) {
  std::string bytes = read_text(path("m.elbo"));
  const std::string model = out_ / "truncated.elbo";
  write_text(model, bytes.substr(0, bytes.size() / 2));
  expect_refused(model, "truncated");
}

TEST_F(DamagedModel, bit_flipped_file) {
  std::string bytes = read_text(path("m.elbo"));
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  const std::string model = out_ / "flipped.elbo";
  write_text(model, bytes);
  expect_refused(model, "checksum mismatch");
}

TEST_F(DamagedModel, empty_file) {
  const std::string model = out_ / "empty.elbo";
  write_text(model, "");
  expect_refused(model, "empty.elbo");
}

TEST_F(CliErrors, predict_names_both_feature_counts_when_they_differ) {
  const std::string wide = out_ / "wide.csv";
  write_text(wide, "a,b,c,d\n1,2,3,4\n");
  const std::string pred = out_ / "pred.csv";
  CliResult r = run_cli(out_, {"predict", "--model", path("m.elbo"), "--data", wide, "--out", pred});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find("has 4 columns (a, b, c, d), but the model was trained on 2 features (x1, x2)"),
            std::string::npos)
      << describe(r);
  EXPECT_FALSE(fs::exists(pred));
}

TEST_F(CliErrors, evaluate_needs_the_target_column) {
  const std::string x_only = out_ / "x.csv";
  write_text(x_only, "x1,x2\n1,2\n0,1\n");
  CliResult r = run_cli(out_, {"evaluate", "--model", path("m.elbo"), "--data", x_only});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find("has no target column 'y'"), std::string::npos) << describe(r);
}

TEST_F(CliErrors, evaluate_refuses_targets_outside_the_likelihood) {
  const std::string bad = out_ / "bad.csv";
  write_text(bad, "x1,x2,y\n1,2,1\n0,1,2\n");
  CliResult r = run_cli(out_, {"evaluate", "--model", path("m.elbo"), "--data", bad});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find("value 2 in data row 2 is not 0 or 1"), std::string::npos) << describe(r);
}

TEST(cli, version_and_help) {
  TempDir dir;
  CliResult v = run_cli(dir, {"--version"});
  EXPECT_EQ(v.code, 0) << describe(v);
  EXPECT_EQ(v.out.rfind("elbo ", 0), 0u) << describe(v);
  CliResult h = run_cli(dir, {"--help"});
  EXPECT_EQ(h.code, 0) << describe(h);
  for (const char* command : {"demo", "fit", "predict", "evaluate", "summary", "plot"}) {
    EXPECT_NE(h.out.find(command), std::string::npos) << command;
    CliResult c = run_cli(dir, {command, "--help"});
    EXPECT_EQ(c.code, 0) << command << "\n" << describe(c);
    EXPECT_NE(c.out.find("--"), std::string::npos) << command << "\n" << describe(c);
  }
  CliResult fit = run_cli(dir, {"fit", "--help"});
  for (const char* flag : {"--train", "--target", "--likelihood", "--hidden", "--no-bias", "--iters", "--batch-size",
                           "--no-standardize", "--dtype", "--mc-samples"})
    EXPECT_NE(fit.out.find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace elbo::app_test
