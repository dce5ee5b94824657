// `elbo fit --recipe` (apps/elbo/fit_recipe.hpp): the default `ensemble` recipe's choices for
// the flags not given, what it leaves out where a fit cannot take a part, and `single`.
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"
#include "fit_recipe.hpp"

namespace elbo::app_test {
namespace {

using cli::FitRecipe;
using cli::FitRecipeRequest;
using cli::resolve_fit_recipe;

FitRecipeRequest advi_request() {
  return {.recipe = "ensemble", .method = "advi", .objective = "kl", .step_cap = 100000};
}

// The recipe's four choices: a robust likelihood, --beta auto, the warm-up's steps, members.
void expect_choices(const FitRecipe& r, bool robust_likelihood, bool beta_auto, int64_t kl_warmup, int64_t ensemble) {
  EXPECT_EQ(r.robust_likelihood, robust_likelihood);
  EXPECT_EQ(r.beta_auto, beta_auto);
  EXPECT_EQ(r.kl_warmup, kl_warmup);
  EXPECT_EQ(r.ensemble, ensemble);
}

TEST(fit_recipe, the_default_recipe_gives_advi_every_part) {
  const FitRecipe r = resolve_fit_recipe(advi_request());
  expect_choices(r, true, true, 5000, 5);
  EXPECT_TRUE(r.left_out.empty());
}

// --recipe single, and the default recipe with all four of its flags given, choose nothing.
TEST(fit_recipe, single_and_flags_given_leave_every_flag_as_it_is) {
  FitRecipeRequest single = advi_request(), given = advi_request();
  single.recipe = "single";
  given.likelihood_given = given.beta_given = given.kl_warmup_given = given.ensemble_given = true;
  for (const FitRecipeRequest& q : {single, given}) {
    SCOPED_TRACE(q.recipe);
    const FitRecipe r = resolve_fit_recipe(q);
    expect_choices(r, false, false, 0, 1);
    EXPECT_TRUE(r.left_out.empty());
  }
}

TEST(fit_recipe, the_warm_up_is_at_most_a_quarter_of_the_steps) {
  FitRecipeRequest q = advi_request();
  q.step_cap = 2000;
  EXPECT_EQ(resolve_fit_recipe(q).kl_warmup, 500);
  q.step_cap = 3;
  EXPECT_EQ(resolve_fit_recipe(q).kl_warmup, 0);
}

TEST(fit_recipe, leaves_out_what_a_fit_cannot_take) {
  FitRecipeRequest q = advi_request();
  q.method = "svgd";
  FitRecipe r = resolve_fit_recipe(q);
  expect_choices(r, true, false, 0, 1);
  EXPECT_EQ(r.left_out, (std::vector<std::string>{"no --beta auto or KL warm-up: --method svgd minimises no KL part",
                                                  "no ensemble: --method svgd fits one approximation"}));

  q = advi_request();
  q.method = "lowrank_advi";  // tempered and warmed up, but no mixture
  expect_choices(resolve_fit_recipe(q), true, true, 5000, 1);

  q = advi_request();
  q.objective = "renyi:0.5";  // no KL part to weigh, but a mixture
  expect_choices(resolve_fit_recipe(q), true, false, 0, 5);

  q = advi_request();
  q.data_parallel = true;  // names its likelihood; the warm-up only
  r = resolve_fit_recipe(q);
  expect_choices(r, false, false, 5000, 1);
  EXPECT_EQ(r.left_out.size(), 2u);

  // A checkpointed fit, or one with a time limit, is one fit: the candidates and members
  // would be neither checkpointed nor within the limit.
  for (bool checkpointed : {true, false}) {
    q = advi_request();
    q.checkpointed = checkpointed;
    q.time_limited = !checkpointed;
    r = resolve_fit_recipe(q);
    expect_choices(r, true, false, 5000, 1);
    ASSERT_EQ(r.left_out.size(), 2u);
    for (const std::string& why : r.left_out)
      EXPECT_NE(why.find(checkpointed ? "checkpointed" : "--time-limit"), std::string::npos) << why;
  }
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `rows` rows of the sine regression (noise sd 0.2, seeded) into train.csv, then `fit
// --train train.csv --out m.elbo --psis-draws 0` with `flags`.
CliResult fit_sine(const TempDir& dir, int64_t rows, uint64_t seed, const std::vector<std::string>& flags) {
  write_sine(dir / "train.csv", rows, 0.2, seed);
  std::vector<std::string> args = {"fit", "--train", dir / "train.csv", "--out", dir / "m.elbo", "--psis-draws", "0"};
  args.insert(args.end(), flags.begin(), flags.end());
  return run_cli(dir, args);
}

// 100 rows of the sine regression, short fits: what the default recipe chose is in the
// output and in the model file's fit record.
TEST(cli_recipe, the_default_fit_is_the_ensemble_recipe) {
  TempDir dir;
  CliResult r = fit_sine(dir, 100, 31, {"--hidden", "8", "--iters", "400"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(has(r.out, "recipe: ensemble (5 members, --beta auto, a KL warm-up of 100 steps, a robust likelihood"))
      << r.out;
  EXPECT_TRUE(has(r.out, "likelihood: heteroscedastic_student_t")) << r.out;
  EXPECT_TRUE(has(r.out, "beta candidate 0.001: validation mlpd")) << r.out;
  EXPECT_TRUE(has(r.out, "ensemble: 5 members, 2000 steps in all")) << r.out;
  const std::string file = read_text(dir / "m.elbo");
  EXPECT_TRUE(has(file, "\"recipe\":\"ensemble\"")) << file.substr(0, 2000);
  EXPECT_TRUE(has(file, "\"ensemble\":5"));
  EXPECT_TRUE(has(file, "\"kl_warmup\":100"));
  EXPECT_TRUE(has(file, "\"beta_selection\""));
  EXPECT_TRUE(has(file, "mixture:5:meanfield"));
  CliResult summary = run_cli(dir, {"summary", "--model", dir / "m.elbo"});
  ASSERT_EQ(summary.code, 0) << describe(summary);
  EXPECT_TRUE(has(summary.out, "fit: the ensemble recipe (elbo fit's default: --recipe ensemble), 5 members"))
      << summary.out;
  EXPECT_TRUE(has(summary.out, "chosen by --beta auto")) << summary.out;
}

// The report with its timings taken out: "in 0.19 s (21537 steps/s)" -> "in s".
std::string without_timings(const std::string& text) {
  static const std::regex timing(R"( [0-9.]+ s\b| \([0-9]+ steps/s\))");
  return std::regex_replace(text, timing, " s");
}

// On --threads 2 the recipe's candidates and members run two at a time: the same model file
// byte for byte as one after another on one thread, and the same report in the same order.
TEST(cli_recipe, side_by_side_fits_on_two_threads_make_the_one_thread_model) {
  TempDir dir;
  write_sine(dir / "train.csv", 120, 0.2, 35);
  std::vector<CliResult> runs;
  for (const char* threads : {"1", "2"})
    runs.push_back(run_cli(dir, {"fit", "--train", dir / "train.csv", "--out", dir / (std::string("m") + threads + ".elbo"),
                                 "--psis-draws", "0", "--hidden", "6", "--iters", "300", "--threads", threads}));
  // Without --threads: every core, one thread a fit.
  runs.push_back(run_cli(dir, {"fit", "--train", dir / "train.csv", "--out", dir / "m0.elbo", "--psis-draws", "0",
                               "--hidden", "6", "--iters", "300"}));
  for (const CliResult& r : runs) ASSERT_EQ(r.code, 0) << describe(r);
  const std::string one = read_text(dir / "m1.elbo"), two = read_text(dir / "m2.elbo");
  ASSERT_FALSE(one.empty());
  EXPECT_TRUE(one == two) << "the model files differ";
  EXPECT_TRUE(one == read_text(dir / "m0.elbo")) << "the model files differ";
  std::string a = without_timings(runs[0].out), b = without_timings(runs[1].out);
  a.replace(a.find("m1.elbo"), 7, "m.elbo");
  b.replace(b.find("m2.elbo"), 7, "m.elbo");
  EXPECT_EQ(a, b);
  EXPECT_TRUE(has(b, "beta candidate 0.01: validation mlpd")) << b;
  EXPECT_LT(b.find("ensemble member 4 of 5"), b.find("ensemble member 5 of 5")) << b;
  // Each member's closing line, in order, on standard error as from one thread.
  EXPECT_EQ(runs[0].err, runs[1].err);
}

TEST(cli_recipe, every_part_given_is_the_single_fit) {
  // The recipe with all four of its flags given fits what --recipe single fits with them:
  // the same predictions, bit for bit.
  TempDir dir;
  write_sine(dir / "train.csv", 100, 0.2, 32);
  const std::vector<std::string> flags = {"--hidden", "8", "--iters", "300", "--psis-draws", "0", "--likelihood",
                                          "normal", "--beta", "1", "--kl-warmup", "0", "--ensemble", "1"};
  std::vector<std::string> a = {"fit", "--train", dir / "train.csv", "--out", dir / "a.elbo"};
  std::vector<std::string> b = {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "b.elbo"};
  a.insert(a.end(), flags.begin(), flags.end());
  b.insert(b.end(), flags.begin(), flags.end());
  CliResult fa = run_cli(dir, a), fb = run_cli(dir, b);
  ASSERT_EQ(fa.code, 0) << describe(fa);
  ASSERT_EQ(fb.code, 0) << describe(fb);
  EXPECT_TRUE(has(fa.out, "recipe: ensemble (every part given by flags")) << fa.out;
  EXPECT_FALSE(has(fb.out, "recipe:")) << fb.out;
  CliResult pa = run_cli(dir, {"predict", "--model", dir / "a.elbo", "--data", dir / "train.csv"});
  CliResult pb = run_cli(dir, {"predict", "--model", dir / "b.elbo", "--data", dir / "train.csv"});
  ASSERT_EQ(pa.code, 0) << describe(pa);
  ASSERT_FALSE(pa.out.empty());
  EXPECT_EQ(pa.out, pb.out);
}

TEST(cli_recipe, a_real_target_is_normal_with_the_single_recipe) {
  TempDir dir;
  CliResult r = fit_sine(dir, 60, 33, {"--recipe", "single", "--iters", "100"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(has(r.out, "likelihood: normal")) << r.out;
  EXPECT_FALSE(has(r.out, "ensemble")) << r.out;
  EXPECT_TRUE(has(read_text(dir / "m.elbo"), "\"recipe\":\"single\""));
}

TEST(cli_recipe, too_few_rows_for_a_validation_part_fit_at_beta_1) {
  // --beta auto given is refused below 50 rows; the recipe's falls back to the ELBO's 1.
  TempDir dir;
  CliResult r = fit_sine(dir, 30, 34, {"--iters", "200"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(has(r.out, "beta: 1 (the recipe's --beta auto holds out 20 % of the training rows")) << r.out;
  EXPECT_TRUE(has(r.out, "ensemble: 5 members")) << r.out;
  CliResult given = run_cli(dir, {"fit", "--train", dir / "train.csv", "--out", dir / "g.elbo", "--iters", "200",
                                  "--beta", "auto"});
  EXPECT_EQ(given.code, 2) << describe(given);
}

TEST(cli_recipe, other_methods_take_the_parts_they_can) {
  TempDir dir;
  write_moons(dir / "train.csv", 80, 35);
  CliResult r = run_cli(dir, {"fit", "--train", dir / "train.csv", "--out", dir / "m.elbo", "--method", "svgd",
                              "--particles", "10", "--iters", "50", "--psis-draws", "0"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(has(r.out, "recipe: no --beta auto or KL warm-up: --method svgd minimises no KL part")) << r.out;
  EXPECT_TRUE(has(r.out, "recipe: no ensemble: --method svgd fits one approximation")) << r.out;
  EXPECT_TRUE(has(r.out, "likelihood: bernoulli")) << r.out;  // the recipe's likelihood is for real targets only
}

TEST(cli_recipe, a_time_limit_is_the_budget_of_one_fit) {
  TempDir dir;
  CliResult r = fit_sine(dir, 100, 38, {"--iters", "100", "--time-limit", "60"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(has(r.out, "recipe: no --beta auto: --time-limit is the budget of one fit")) << r.out;
  EXPECT_TRUE(has(r.out, "recipe: no ensemble: --time-limit is the budget of one fit")) << r.out;
  EXPECT_FALSE(has(r.out, "beta candidate")) << r.out;
  EXPECT_FALSE(has(r.out, "ensemble member")) << r.out;
}

TEST(cli_recipe, a_data_parallel_fit_takes_the_warm_up_only) {
  TempDir dir;
  CliResult r =
      fit_sine(dir, 100, 37, {"--data-parallel", "--likelihood", "normal", "--iters", "40", "--block-rows", "32"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(has(r.out, "recipe: ensemble (a KL warm-up of 10 steps; --recipe single")) << r.out;
  EXPECT_TRUE(has(r.out, "recipe: no --beta auto: a data-parallel fit has no validation part")) << r.out;
  EXPECT_TRUE(has(r.out, "recipe: no ensemble: a data-parallel fit is one fit")) << r.out;
  EXPECT_TRUE(has(read_text(dir / "m.elbo"), "\"kl_warmup\":10"));
}

TEST(cli_recipe, a_checkpointed_recipe_fit_resumes_to_the_same_model) {
  // A checkpointed fit is one fit at beta 1 (neither members nor beta's candidates are
  // checkpointed); the checkpoint keeps what the recipe chose (the likelihood, the
  // warm-up), so the resumed fit ends where the uninterrupted one does.
  TempDir dir;
  write_sine(dir / "train.csv", 100, 0.2, 36);
  const std::vector<std::string> fit = {"fit", "--train", dir / "train.csv", "--hidden", "6", "--iters", "400",
                                        "--psis-draws", "0", "--checkpoint-every", "100"};
  std::vector<std::string> whole = fit, stopped = fit;
  whole.insert(whole.end(), {"--out", dir / "whole.elbo"});
  stopped.insert(stopped.end(), {"--out", dir / "stopped.elbo", "--stop-after", "200"});
  CliResult w = run_cli(dir, whole);
  ASSERT_EQ(w.code, 0) << describe(w);
  EXPECT_TRUE(has(w.out, "recipe: no ensemble: a checkpointed fit is one fit")) << w.out;
  EXPECT_TRUE(has(w.out, "recipe: no --beta auto: a checkpointed fit is one fit")) << w.out;
  EXPECT_TRUE(has(w.out, "KL warm-up: the KL part's weight rises")) << w.out;
  CliResult s = run_cli(dir, stopped);
  ASSERT_NE(s.code, 0);
  CliResult resumed = run_cli(dir, {"fit", "--resume", dir / "stopped.elbo.ckpt"});
  ASSERT_EQ(resumed.code, 0) << describe(resumed);
  EXPECT_TRUE(has(resumed.out, "likelihood: heteroscedastic_student_t (the ensemble recipe's for a real target, kept "
                               "in the checkpoint)"))
      << resumed.out;
  CliResult pw = run_cli(dir, {"predict", "--model", dir / "whole.elbo", "--data", dir / "train.csv"});
  CliResult ps = run_cli(dir, {"predict", "--model", dir / "stopped.elbo", "--data", dir / "train.csv"});
  ASSERT_EQ(pw.code, 0) << describe(pw);
  ASSERT_FALSE(pw.out.empty());
  EXPECT_EQ(pw.out, ps.out);
  EXPECT_TRUE(has(read_text(dir / "stopped.elbo"), "heteroscedastic_student_t"));
}

// The guard's data: y = 3 + 2 sin(x) + N(0, 0.1^2) on 200 training rows, every tenth
// shifted by 3 either way, and 500 clean test rows (the noise's own mlpd is 0.88).
void write_outlier_sine(const TempDir& dir) {
  write_sine(dir / "train.csv", 200, 0.1, 41, 3.0);
  write_sine(dir / "test.csv", 500, 0.1, 42);
}

// `fit` on the guard's training rows with `flags` (hidden 10), which must choose
// `likelihood`, then the test rows' score.
nlohmann::json fit_and_score(const TempDir& dir, const std::string& name, const std::vector<std::string>& flags,
                             const std::string& likelihood) {
  std::vector<std::string> args = {"fit", "--train", dir / "train.csv", "--out", dir / name, "--hidden", "10",
                                   "--psis-draws", "0"};
  args.insert(args.end(), flags.begin(), flags.end());
  CliResult r = run_cli(dir, args);
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(has(r.out, "likelihood: " + likelihood + " (")) << r.out;
  return evaluate_json(dir, dir / name, dir / "test.csv");
}

TEST(cli_recipe, the_default_recipe_shrugs_off_outliers_that_a_single_normal_fit_follows) {
  // The recipe's guard (issue #19), on the outlier data above. On these rows the default
  // recipe (3000 steps a fit) scored mlpd 0.688 and RMSE 0.110 with the AVX-512 and the
  // AVX2 kernels alike; one normal fit (--recipe single) follows the outliers: mlpd -1.08,
  // RMSE 0.362. (The same data from another generator, seeds 0-2 and all three instruction
  // sets: 0.716-0.734 and 0.103-0.105 against -1.02 and 0.33.) The thresholds leave room for
  // the bits of other machines and seeds, and still fail a recipe without the robust
  // likelihood.
  TempDir dir;
  write_outlier_sine(dir);
  const nlohmann::json robust = fit_and_score(dir, "recipe.elbo", {"--iters", "3000"}, "heteroscedastic_student_t");
  const nlohmann::json plain = fit_and_score(dir, "single.elbo", {"--iters", "3000", "--recipe", "single"}, "normal");
  EXPECT_GT(robust.value("mlpd", -1e9), 0.6) << robust;
  EXPECT_LT(robust.value("rmse", 1e9), 0.13) << robust;
  EXPECT_LT(plain.value("mlpd", 1e9), 0.0) << plain;
  EXPECT_GT(plain.value("rmse", -1e9), 0.2) << plain;
}

TEST(cli_recipe, laplace_takes_the_recipes_likelihood) {
  // Laplace (the MAP, last-layer curvature) with its defaults on the outlier data: the
  // recipe gives it the heteroscedastic Student-t, under which it shrugs off the outliers
  // as well. Measured on these rows: mlpd 0.724, RMSE 0.109 (AVX-512 and AVX2 alike; the
  // thresholds are the guard's above).
  TempDir dir;
  write_outlier_sine(dir);
  const nlohmann::json score = fit_and_score(dir, "m.elbo", {"--method", "laplace"}, "heteroscedastic_student_t");
  EXPECT_TRUE(has(read_text(dir / "m.elbo"), "\"recipe\":\"ensemble\""));
  EXPECT_GT(score.value("mlpd", -1e9), 0.6) << score;
  EXPECT_LT(score.value("rmse", 1e9), 0.13) << score;
}

}  // namespace
}  // namespace elbo::app_test
