// Crash safety of `elbo fit` (docs/RELIABILITY.md, "Crash safety and resuming"):
// - a fit killed with SIGKILL at any moment leaves the file at --out as it was, and no
//   temporary file behind;
// - with --checkpoint-every it can be continued with --resume, and the continued fit writes
//   the same bytes as a fit that never stopped, whether it stopped by --stop-after (the
//   test hook) or by SIGKILL at a random moment.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"

namespace elbo::app_test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

bool has_temporary(const TempDir& dir) {
  for (const std::string& f : dir.files())
    if (f.find(".tmp.") != std::string::npos) return true;
  return false;
}

TEST(cli_crash_safety, a_fit_killed_at_random_moments_leaves_the_old_model_intact) {
  TempDir dir;
  write_moons(dir / "train.csv", 200, 4);
  CliResult first = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                                  "--iters", "100"});
  ASSERT_EQ(first.code, 0) << describe(first);
  const std::string old = read_text(dir / "m.elbo");
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_ms(10, 400);
  for (int kill = 0; kill < 5; ++kill) {
    const int ms = delay_ms(rng);
    // Far more steps than it can do before the kill: it is killed while fitting.
    BackgroundCli fit({"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo", "--iters",
                       "50000000",
                       "--seed", std::to_string(kill + 1)});
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    ASSERT_FALSE(fit.exited()) << "the fit ended by itself within " << ms << " ms";
    int status = fit.kill(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "after " << ms << " ms";
    EXPECT_TRUE(read_text(dir / "m.elbo") == old) << "the old model changed after " << ms << " ms";
    EXPECT_EQ(dir.files(), (std::vector<std::string>{"m.elbo", "train.csv"})) << "after " << ms << " ms";
  }
}

// The default recipe's fits side by side on two threads (--beta auto's first candidates): a
// Ctrl-C stops both, and the command ends with its error, writing nothing.
TEST(cli_crash_safety, a_ctrl_c_stops_the_fits_that_run_side_by_side) {
  TempDir dir;
  write_moons(dir / "train.csv", 200, 4);
  BackgroundCli fit({"fit", "--train", dir / "train.csv", "--out", dir / "m.elbo", "--iters", "50000000", "--threads",
                     "2"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_FALSE(fit.exited()) << "the fit ended by itself within 500 ms";
  const int status = fit.kill(SIGINT);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << "wait status " << status;
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"train.csv"}));
}

TEST(cli_crash_safety, a_fit_removes_temporary_files_that_killed_fits_left) {
  TempDir dir;
  write_moons(dir / "train.csv", 60, 4);
  // pid_max is at most 2^22 on Linux: no process has this id.
  write_text(dir / "m.elbo.tmp.999999999", "half a model");
  write_text(dir / "m.elbo.ckpt.tmp.999999998", "half a checkpoint");
  write_text(dir / "other.elbo.tmp.999999999", "not ours");
  CliResult r = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                              "--iters", "20",
                              "--checkpoint-every", "10"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.err.find("removed " + dir / "m.elbo.tmp.999999999" + ", a temporary file left by a fit that was killed"),
            std::string::npos)
      << describe(r);
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"m.elbo", "m.elbo.ckpt", "other.elbo.tmp.999999999", "train.csv"}));
}

// One fit, run without stopping (a.elbo), and stopped after `stop` steps with checkpoints
// every `every` steps, then resumed (c.elbo): the files are the same bytes.
struct ResumeCase {
  std::string what;
  std::vector<std::string> flags;
  std::string every, stop;
  bool converges = false;  // the fit stops by a convergence test after `stop`
  std::string converged_text = "ELBO converged";  // what its message says
};
std::ostream& operator<<(std::ostream& os, const ResumeCase& c) { return os << c.what; }

class CliResume : public ::testing::TestWithParam<ResumeCase> {};

TEST_P(CliResume, a_resumed_fit_writes_the_same_bytes_as_one_that_never_stopped) {
  const ResumeCase& c = GetParam();
  TempDir dir;
  write_moons(dir / "train.csv", 150, 7);
  const std::vector<std::string> fit = with({"fit", "--recipe", "single", "--train", dir / "train.csv"}, c.flags);
  CliResult a = run_cli(dir, with(fit, {"--out", dir / "a.elbo"}));
  ASSERT_EQ(a.code, 0) << describe(a);
  if (c.converges) {
    EXPECT_NE(a.out.find(c.converged_text), std::string::npos) << describe(a);
  }

  CliResult b = run_cli(dir, with(fit, {"--out", dir / "b.elbo", "--checkpoint-every", c.every, "--stop-after", c.stop}));
  ASSERT_EQ(b.code, 1) << describe(b);
  EXPECT_NE(b.err.find("stopped after " + c.stop + " steps (--stop-after); nothing was written to " + dir / "b.elbo" +
                       "; continue with: elbo fit --resume " + dir / "b.elbo.ckpt"),
            std::string::npos)
      << describe(b);
  ASSERT_FALSE(fs::exists(dir / "b.elbo"));
  ASSERT_TRUE(fs::exists(dir / "b.elbo.ckpt"));

  // A checkpoint is a model file too.
  CliResult early = run_cli(dir, {"predict", "--model", dir / "b.elbo.ckpt", "--data", dir / "train.csv"});
  EXPECT_EQ(early.code, 0) << describe(early);

  CliResult resumed = run_cli(dir, {"fit", "--resume", dir / "b.elbo.ckpt", "--out", dir / "c.elbo"});
  ASSERT_EQ(resumed.code, 0) << describe(resumed);
  EXPECT_NE(resumed.out.find("resuming: " + dir / "b.elbo.ckpt" + " at step " + c.stop), std::string::npos)
      << describe(resumed);
  // The prior sd an evidence fit chose is in its checkpoint: the resumed fit does not
  // choose again.
  if (std::find(c.flags.begin(), c.flags.end(), "--prior-scale") != c.flags.end()) {
    EXPECT_NE(a.out.find("prior scale: precision"), std::string::npos) << describe(a);
    EXPECT_EQ(resumed.out.find("prior scale:"), std::string::npos) << describe(resumed);
  }
  if (std::find(c.flags.begin(), c.flags.end(), "auto") != c.flags.end()) {
    EXPECT_NE(a.out.find(" chosen (the highest validation mlpd)"), std::string::npos) << describe(a);
    EXPECT_EQ(resumed.out.find("beta candidate"), std::string::npos) << describe(resumed);
    EXPECT_NE(read_text(dir / "c.elbo").find("\"beta_selection\""), std::string::npos);
  }
  EXPECT_TRUE(read_text(dir / "a.elbo") == read_text(dir / "c.elbo"))
      << "a.elbo and c.elbo differ\n--- uninterrupted ---\n" << a.out << "--- resumed ---\n" << resumed.out;
  if (c.converges) {
    EXPECT_NE(resumed.out.find(c.converged_text), std::string::npos) << describe(resumed);
  }
  EXPECT_FALSE(has_temporary(dir));

  CliResult pa = run_cli(dir, {"predict", "--model", dir / "a.elbo", "--data", dir / "train.csv"});
  CliResult pc = run_cli(dir, {"predict", "--model", dir / "c.elbo", "--data", dir / "train.csv"});
  ASSERT_EQ(pa.code, 0) << describe(pa);
  EXPECT_EQ(pa.out, pc.out);
}

INSTANTIATE_TEST_SUITE_P(
    cli_crash_safety, CliResume,
    ::testing::Values(
        ResumeCase{"adam_full_batch", {"--iters", "2000", "--seed", "5"}, "500", "1000"},
        // The prior sd the evidence chose is in the checkpoint: the resumed fit does not
        // choose again.
        ResumeCase{"prior_scale_by_the_evidence", {"--iters", "1000", "--prior-scale", "evidence"}, "250", "500"},
        // The beta --beta auto chose, and the candidates' scores for the fit record, are in
        // the checkpoint: the resumed fit does not choose again and writes the same record.
        ResumeCase{"beta_auto", {"--iters", "1000", "--beta", "auto"}, "250", "500"},
        ResumeCase{"minibatches_adagrad_window_float64",
                   {"--iters", "1200", "--seed", "3", "--batch-size", "32", "--optimizer", "adagrad_window", "--lr",
                    "0.05", "--dtype", "float64"},
                   "250",
                   "750"},
        ResumeCase{"fullrank_two_draws", {"--iters", "600", "--method", "fullrank_advi", "--mc-samples", "2"}, "200",
                   "400"},
        // Families written as graph expressions resume bitwise too.
        ResumeCase{"lowrank_two_draws",
                   {"--iters", "600", "--method", "lowrank_advi", "--rank", "3", "--mc-samples", "2"}, "200", "400"},
        ResumeCase{"nfvi_planar_radial", {"--iters", "600", "--method", "nfvi", "--flow", "scale-planar*2-radial-loc"},
                   "200", "400"},
        // Until converged: the convergence tests' state is restored too (checkpoints off
        // the tests' 100-step grid).
        ResumeCase{"until_converged",
                   {"--max-iters", "6000", "--hidden", "2", "--lr", "0.05", "--mc-samples", "3", "--lr-schedule",
                    "constant"},
                   "350",
                   "1050",
                   true},
        // The annealed rate's schedule state (cuts, reference window) is restored too: the
        // checkpoint falls mid-window, after cuts.
        ResumeCase{"annealed_until_converged",
                   {"--max-iters", "60000", "--hidden", "2", "--lr", "0.05"},
                   "1500",
                   "4500",
                   true, "converged at step"},
        // A KL warm-up counts the fit's steps: the checkpoint (mid-ramp) stores it and the
        // resumed fit continues the ramp; the annealing's later start is restored too.
        ResumeCase{"kl_warmup_until_converged",
                   {"--max-iters", "60000", "--hidden", "2", "--lr", "0.05", "--kl-warmup", "3000"},
                   "1500",
                   "4500",
                   true, "converged at step"}),
    [](const ::testing::TestParamInfo<ResumeCase>& info) { return info.param.what; });

TEST(cli_crash_safety, a_fit_killed_at_random_moments_resumes_to_the_same_model) {
  TempDir dir;
  write_moons(dir / "train.csv", 150, 8);
  const std::vector<std::string> fit = {"fit", "--recipe", "single", "--train", dir / "train.csv", "--iters", "6000",
                                        "--seed", "11"};
  CliResult a = run_cli(dir, with(fit, {"--out", dir / "a.elbo"}));
  ASSERT_EQ(a.code, 0) << describe(a);
  const std::string expected = read_text(dir / "a.elbo");
  std::mt19937 rng(777);
  std::uniform_int_distribution<int> delay_ms(0, 150);
  for (int round = 0; round < 3; ++round) {
    const std::string out = dir / "b.elbo", ckpt = dir / "b.elbo.ckpt";
    fs::remove(ckpt);
    fs::remove(out);
    const int ms = delay_ms(rng);
    {
      BackgroundCli b(with(fit, {"--out", out, "--checkpoint-every", "200"}));
      // Kill it at a random moment after its first checkpoint.
      auto deadline = std::chrono::steady_clock::now() + 60s;
      while (!fs::exists(ckpt) && !b.exited() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
      ASSERT_TRUE(fs::exists(ckpt)) << "no checkpoint was written";
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      b.kill(SIGKILL);
    }
    // Killed mid-way (or, rarely, just after finishing): either way the resumed fit (a
    // fit that had finished resumes from its last checkpoint) ends with the same bytes.
    fs::remove(out);
    CliResult c = run_cli(dir, {"fit", "--resume", ckpt});
    ASSERT_EQ(c.code, 0) << "killed " << ms << " ms after the first checkpoint\n" << describe(c);
    EXPECT_TRUE(read_text(out) == expected) << "killed " << ms << " ms after the first checkpoint: the model differs\n"
                                            << c.out;
    EXPECT_FALSE(has_temporary(dir)) << "killed " << ms << " ms after the first checkpoint";
  }
}

TEST(cli_crash_safety, resume_refuses_a_changed_training_file) {
  TempDir dir;
  write_moons(dir / "train.csv", 60, 4);
  CliResult b = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                              "--iters", "100",
                              "--checkpoint-every", "50", "--stop-after", "50"});
  ASSERT_EQ(b.code, 1) << describe(b);
  write_moons(dir / "train.csv", 60, 5);
  CliResult r = run_cli(dir, {"fit", "--resume", dir / "m.elbo.ckpt"});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find("elbo fit: error: " + dir / "m.elbo.ckpt" + ": the training data " + dir / "train.csv" +
                       " has changed since the checkpoint was written (its checksum differs), so the fit cannot be "
                       "continued"),
            std::string::npos)
      << describe(r);
  EXPECT_FALSE(fs::exists(dir / "m.elbo"));
}

}  // namespace
}  // namespace elbo::app_test
