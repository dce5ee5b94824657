// Data-parallel `elbo fit` (docs/CLI.md, "Data-parallel fits"): `mpirun -np R elbo fit`
// writes the same model file, bit for bit, as `elbo fit --data-parallel` in one process,
// for R = 1 to 4 (oversubscribed on a small machine); a bad row ends the whole job naming
// the process and the file, with no model file; what cannot run data-parallel is refused.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_runner.hpp"
#include "elbo/data/npy.hpp"
#include "elbo/graph/random.hpp"

// The mpirun found when the build found MPI (tests/CMakeLists.txt); empty otherwise.
#ifndef ELBO_MPIRUN
#define ELBO_MPIRUN ""
#endif

namespace elbo::app_test {
namespace {

class DataParallel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(ELBO_CLI).empty()) GTEST_SKIP() << "the CLI is not built";
    dir_ = std::make_unique<TempDir>();
    // 2,000 rows, 3 features and a target: 8 blocks of 256 rows, the last one short.
    Philox rng(4);
    Tensor x = rng.normal(DType::f64, {2000, 3}, 0, 0);
    Tensor table(DType::f64, {2000, 4});
    for (int64_t r = 0; r < 2000; ++r) {
      for (int64_t c = 0; c < 3; ++c) table.set(r * 4 + c, x[r * 3 + c]);
      table.set(r * 4 + 3, std::sin(x[r * 3]) - 0.5 * x[r * 3 + 1] + 0.1 * x[r * 3 + 2]);
    }
    data::write_npy(path("train.npy"), table);
    // Open MPI refuses to run as root without these (CI runs as root).
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  }
  std::string path(const std::string& name) const { return *dir_ / name; }
  std::vector<std::string> fit_args(const std::string& train, const std::string& out) const {
    return {"fit", "--recipe", "single", "--train", train, "--out", out, "--likelihood", "normal", "--hidden", "8",
            "--iters", "600",
            "--block-rows", "256", "--seed", "3"};
  }
  // `mpirun -np R elbo ARGS...`, its output captured.
  CliResult mpirun(int R, const std::vector<std::string>& args) {
    std::string cmd = shell_quote(ELBO_MPIRUN) + " --oversubscribe -np " + std::to_string(R) + " " + shell_quote(ELBO_CLI);
    for (const std::string& a : args) cmd += " " + shell_quote(a);
    const std::string out = path(".mpi_stdout"), err = path(".mpi_stderr");
    cmd += " >" + shell_quote(out) + " 2>" + shell_quote(err);
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
  }
  std::unique_ptr<TempDir> dir_;
};

TEST_F(DataParallel, every_process_count_writes_the_same_model_file) {
  std::vector<std::string> one = fit_args(path("train.npy"), path("one.elbo"));
  one.push_back("--data-parallel");
  CliResult r = run_cli(*dir_, one);
  ASSERT_EQ(r.code, 0) << describe(r);
  const std::string reference = read_text(path("one.elbo"));
  ASSERT_FALSE(reference.empty());
  // (Without MPI the one-process fit above still runs: the sanitizer build checks it.)
  if (std::string(ELBO_MPIRUN).empty()) GTEST_SKIP() << "built without MPI";
  for (int R = 1; R <= 4; ++R) {
    const std::string out = path("r" + std::to_string(R) + ".elbo");
    CliResult m = mpirun(R, fit_args(path("train.npy"), out));
    ASSERT_EQ(m.code, 0) << "R=" << R << "\n" << describe(m);
    EXPECT_EQ(read_text(out), reference) << "R=" << R;
    EXPECT_NE(m.out.find(std::to_string(R) + (R == 1 ? " process," : " processes,")), std::string::npos) << m.out;
  }
}

TEST_F(DataParallel, minibatches_give_the_same_model_file_for_every_process_count) {
  if (std::string(ELBO_MPIRUN).empty()) GTEST_SKIP() << "built without MPI";
  std::vector<std::string> one = fit_args(path("train.npy"), path("one.elbo"));
  for (const char* a : {"--batch-size", "100", "--data-parallel"}) one.push_back(a);
  CliResult r = run_cli(*dir_, one);
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("minibatches of 100 rows"), std::string::npos) << r.out;
  for (int R : {2, 3}) {
    const std::string out = path("mb" + std::to_string(R) + ".elbo");
    std::vector<std::string> args = fit_args(path("train.npy"), out);
    args.push_back("--batch-size");
    args.push_back("100");
    CliResult m = mpirun(R, args);
    ASSERT_EQ(m.code, 0) << describe(m);
    EXPECT_EQ(read_text(out), read_text(path("one.elbo"))) << "R=" << R;
  }
}

TEST_F(DataParallel, categorical_classes_are_counted_over_every_process) {
  if (std::string(ELBO_MPIRUN).empty()) GTEST_SKIP() << "built without MPI";
  // Labels 0 .. 3 by the sign pattern of two features; only the last rows hold label 3, so
  // the first processes see fewer classes than there are.
  Tensor t = data::read_npy(path("train.npy"));
  for (int64_t r = 0; r < 2000; ++r) {
    double label = (t[r * 4] > 0 ? 1.0 : 0.0) + (t[r * 4 + 1] > 0 ? 1.0 : 0.0);
    t.set(r * 4 + 3, r >= 1900 ? 3.0 : label);
  }
  data::write_npy(path("classes.npy"), t);
  std::vector<std::string> args = {"fit", "--recipe", "single", "--train", path("classes.npy"), "--likelihood",
                                   "categorical",
                                   "--hidden", "8", "--iters", "300", "--block-rows", "256"};
  std::vector<std::string> one = args;
  for (const char* a : {"--out", "", "--data-parallel"}) one.push_back(a);
  one[one.size() - 2] = path("one.elbo");
  CliResult r = run_cli(*dir_, one);
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("categorical with 4 classes"), std::string::npos) << r.out;
  std::vector<std::string> many = args;
  many.push_back("--out");
  many.push_back(path("three.elbo"));
  CliResult m = mpirun(3, many);
  ASSERT_EQ(m.code, 0) << describe(m);
  EXPECT_EQ(read_text(path("three.elbo")), read_text(path("one.elbo")));
}

TEST_F(DataParallel, csv_rows_are_read_by_the_processes_that_hold_them) {
  // The CSV of train.npy's rows, with a blank line (not a row) inside the second block.
  Tensor t = data::read_npy(path("train.npy"));
  std::string csv = "a,b,c,y\n";
  for (int64_t r = 0; r < 2000; ++r) {
    if (r == 300) csv += "\n";
    for (int64_t c = 0; c < 4; ++c) csv += (c ? "," : "") + std::to_string(t[r * 4 + c]);
    csv += "\n";
  }
  write_text(path("train.csv"), csv);
  std::vector<std::string> one = fit_args(path("train.csv"), path("one.elbo"));
  one.push_back("--data-parallel");
  CliResult r = run_cli(*dir_, one);
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("2000 rows, 3 features; target 'y'"), std::string::npos) << r.out;
  if (std::string(ELBO_MPIRUN).empty()) GTEST_SKIP() << "built without MPI";
  for (int R : {2, 3}) {
    const std::string out = path("csv" + std::to_string(R) + ".elbo");
    CliResult m = mpirun(R, fit_args(path("train.csv"), out));
    ASSERT_EQ(m.code, 0) << describe(m);
    EXPECT_EQ(read_text(out), read_text(path("one.elbo"))) << "R=" << R;
  }
  // A bad cell in the third process's rows is reported at its line in the file: row 1,800
  // is line 1,803 (the header and the blank line come before it).
  std::string bad = csv;
  size_t at = 0;
  for (int line = 1; line < 1803; ++line) at = bad.find('\n', at) + 1;
  bad.replace(at, bad.find(',', at) - at, "oops");
  write_text(path("bad.csv"), bad);
  CliResult m = mpirun(3, fit_args(path("bad.csv"), path("bad.elbo")));
  EXPECT_NE(m.code, 0);
  EXPECT_NE(m.err.find("error on process 2 of 3"), std::string::npos) << m.err;
  EXPECT_NE(m.err.find("bad.csv:1803:1"), std::string::npos) << m.err;
  EXPECT_FALSE(std::filesystem::exists(path("bad.elbo")));
  // More processes than blocks: the ones without rows still take part.
  write_text(path("small.csv"), "a,b,c,y\n1,2,3,4\n2,3,4,5\n3,4,5,7\n");
  std::vector<std::string> small = fit_args(path("small.csv"), path("small1.elbo"));
  small.push_back("--data-parallel");
  ASSERT_EQ(run_cli(*dir_, small).code, 0);
  CliResult s2 = mpirun(2, fit_args(path("small.csv"), path("small2.elbo")));
  ASSERT_EQ(s2.code, 0) << describe(s2);
  EXPECT_EQ(read_text(path("small2.elbo")), read_text(path("small1.elbo")));
}

TEST_F(DataParallel, the_default_recipe_under_mpirun_is_its_warm_up_reported_once) {
  if (std::string(ELBO_MPIRUN).empty()) GTEST_SKIP() << "built without MPI";
  // The default recipe: a data-parallel fit takes its KL warm-up only (150 of the 600
  // steps), process 0 alone reports it, and every process count writes the same file.
  std::vector<std::string> args = {"fit", "--train", path("train.npy"), "--likelihood", "normal", "--hidden", "8",
                                   "--iters", "600", "--block-rows", "256", "--seed", "3"};
  std::vector<std::string> one = args, two = args;
  one.insert(one.end(), {"--out", path("recipe1.elbo"), "--data-parallel"});
  two.insert(two.end(), {"--out", path("recipe2.elbo")});
  CliResult a = run_cli(*dir_, one);
  ASSERT_EQ(a.code, 0) << describe(a);
  CliResult m = mpirun(2, two);
  ASSERT_EQ(m.code, 0) << describe(m);
  const std::string line = "recipe: ensemble (a KL warm-up of 150 steps;";
  const size_t at = m.out.find(line);
  ASSERT_NE(at, std::string::npos) << m.out;
  EXPECT_EQ(m.out.find(line, at + 1), std::string::npos) << m.out;
  EXPECT_NE(m.out.find("recipe: no ensemble: a data-parallel fit is one fit"), std::string::npos) << m.out;
  EXPECT_EQ(read_text(path("recipe2.elbo")), read_text(path("recipe1.elbo")));
}

TEST_F(DataParallel, shards_are_the_rows_of_one_file) {
  if (std::string(ELBO_MPIRUN).empty()) GTEST_SKIP() << "built without MPI";
  // Three shards of 700, 1 and 1,299 rows: the blocks of 256 rows cross their borders.
  Tensor t = data::read_npy(path("train.npy"));
  data::write_npy(path("s0.npy"), t.rows(0, 700));
  data::write_npy(path("s1.npy"), t.rows(700, 701));
  data::write_npy(path("s2.npy"), t.rows(701, 2000));
  const std::string shards = path("s0.npy") + "," + path("s1.npy") + "," + path("s2.npy");
  std::vector<std::string> one = fit_args(path("train.npy"), path("one.elbo"));
  one.push_back("--data-parallel");
  ASSERT_EQ(run_cli(*dir_, one).code, 0);
  CliResult m = mpirun(3, fit_args(shards, path("shards.elbo")));
  ASSERT_EQ(m.code, 0) << describe(m);
  // The model files differ only in the --train they record: their predictions are equal.
  CliResult a = run_cli(*dir_, {"predict", "--model", path("one.elbo"), "--data", path("train.npy")});
  CliResult b = run_cli(*dir_, {"predict", "--model", path("shards.elbo"), "--data", path("train.npy")});
  ASSERT_EQ(a.code, 0) << describe(a);
  EXPECT_EQ(a.out, b.out);
  // A shard with other columns is refused naming it.
  data::write_npy(path("narrow.npy"), Tensor(DType::f64, {5, 3}));
  CliResult bad = mpirun(2, fit_args(path("s0.npy") + "," + path("narrow.npy"), path("bad.elbo")));
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("narrow.npy: has 3 columns"), std::string::npos) << bad.err;
}

TEST_F(DataParallel, a_checkpoint_of_three_processes_resumes_with_two) {
  if (std::string(ELBO_MPIRUN).empty()) GTEST_SKIP() << "built without MPI";
  std::vector<std::string> whole = fit_args(path("train.npy"), path("whole.elbo"));
  whole.push_back("--data-parallel");
  ASSERT_EQ(run_cli(*dir_, whole).code, 0);
  std::vector<std::string> first = fit_args(path("train.npy"), path("part.elbo"));
  for (const char* a : {"--checkpoint-every", "100", "--stop-after", "300"}) first.push_back(a);
  CliResult stop = mpirun(3, first);
  ASSERT_NE(stop.code, 0);  // --stop-after ends it as if killed, leaving the checkpoint
  ASSERT_TRUE(std::filesystem::exists(path("part.elbo.ckpt"))) << describe(stop);
  CliResult resumed = mpirun(2, {"fit", "--resume", path("part.elbo.ckpt")});
  ASSERT_EQ(resumed.code, 0) << describe(resumed);
  EXPECT_EQ(read_text(path("part.elbo")), read_text(path("whole.elbo")));
}

TEST_F(DataParallel, a_bad_row_ends_every_process_naming_it_and_the_file) {
  if (std::string(ELBO_MPIRUN).empty()) GTEST_SKIP() << "built without MPI";
  Tensor t = data::read_npy(path("train.npy"));
  t.set(1500 * 4 + 2, std::nan(""));  // in the last process's rows of three
  data::write_npy(path("bad.npy"), t);
  CliResult r = mpirun(3, fit_args(path("bad.npy"), path("bad.elbo")));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("error on process 2 of 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.npy: row 1500, column 2 is NaN"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(path("bad.elbo")));
}

TEST_F(DataParallel, refuses_what_does_not_run_data_parallel) {
  std::vector<std::string> args = fit_args(path("train.npy"), path("m.elbo"));
  args.push_back("--data-parallel");
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--time-limit", "10"}, {"--method", "svgd"}, {"--init", "pathfinder"}}) {
    std::vector<std::string> a = args;
    a.push_back(flag);
    a.push_back(value);
    CliResult r = run_cli(*dir_, a);
    EXPECT_EQ(r.code, 2) << flag << "\n" << describe(r);
    EXPECT_NE(r.err.find("data-parallel"), std::string::npos) << r.err;
  }
  std::vector<std::string> no_likelihood = {"fit", "--train", path("train.npy"), "--out", path("m.elbo"),
                                            "--data-parallel"};
  CliResult r = run_cli(*dir_, no_likelihood);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--likelihood"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(path("m.elbo")));
}

}  // namespace
}  // namespace elbo::app_test
