// `elbo demo --quick` and `elbo plot` write their figures as valid PNG (and SVG) files.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"
#include "elbo/plot/gnuplot.hpp"

namespace elbo::app_test {
namespace {

namespace fs = std::filesystem;

bool has_png_signature(const std::string& path) {
  return read_text(path).rfind("\x89PNG\r\n\x1a\n", 0) == 0;
}

void expect_figures(const std::string& dir, const std::vector<std::string>& stems) {
  for (const std::string& stem : stems) {
    const std::string png = (fs::path(dir) / (stem + ".png")).string();
    ASSERT_TRUE(fs::exists(png)) << png;
    EXPECT_TRUE(has_png_signature(png)) << png;
    EXPECT_TRUE(fs::exists(fs::path(dir) / (stem + ".svg"))) << stem;
  }
}

TEST(cli_demo, quick_demo_writes_every_figure) {
  TempDir dir;
  const std::string out = dir / "demo";
  CliResult r = run_cli(dir, {"demo", "--quick", "--out", out});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("Accuracy"), std::string::npos) << r.out;
  // Mean-field, the flow and SVGD side by side (issue #16), each with its accuracy.
  for (const char* family : {"mean-field ADVI", "NFVI (scale-planar*8-loc)", "SVGD (100 particles)"})
    EXPECT_NE(r.out.find(std::string("[families] ") + family), std::string::npos) << r.out;
  const std::vector<std::string> stems = {"data",        "loss_histories", "predicted_labels", "posterior_mean",
                                          "uncertainty", "loss_minibatch", "families"};
  if (!plot::gnuplot_available()) {
    EXPECT_NE(r.out.find("skipped"), std::string::npos) << r.out;
    GTEST_SKIP() << "gnuplot is not installed: figures skipped, as the demo said";
  }
  expect_figures(out, stems);
}

TEST(cli_plot, classifier_figures_for_two_features) {
  TempDir dir;
  write_moons(dir / "train.csv", 150, 5);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                                "--iters", "500"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  const std::string figs = dir / "figs";
  fs::create_directory(figs);
  CliResult r = run_cli(dir, {"plot", "--model", dir / "m.elbo", "--data", dir / "train.csv", "--out", figs,
                              "--draws", "100", "--grid", "30"});
  ASSERT_EQ(r.code, 0) << describe(r);
  const std::vector<std::string> stems = {"data", "predicted_labels", "posterior_mean", "uncertainty", "reliability"};
  if (!plot::gnuplot_available()) {
    EXPECT_NE(r.out.find("skipped 5 figures (gnuplot is not installed)"), std::string::npos) << r.out;
    GTEST_SKIP() << "gnuplot is not installed";
  }
  expect_figures(figs, stems);
}

TEST(cli_plot, without_gnuplot_it_completes_and_names_the_skipped_figures) {
  TempDir dir;
  write_moons(dir / "train.csv", 100, 6);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                                "--iters", "200"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  const std::string figs = dir / "figs";
  fs::create_directory(figs);
  // ELBO_GNUPLOT names the executable; a path that does not exist means "no gnuplot".
  ::setenv("ELBO_GNUPLOT", "/nonexistent-elbo-dir/gnuplot", 1);
  CliResult r = run_cli(dir, {"plot", "--model", dir / "m.elbo", "--data", dir / "train.csv", "--out", figs,
                              "--draws", "50", "--grid", "10"});
  ::unsetenv("ELBO_GNUPLOT");
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("skipped 5 figures (gnuplot is not installed): data, predicted_labels, posterior_mean, "
                       "uncertainty, reliability"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(fs::is_empty(figs));
}

TEST(cli_plot, a_file_over_the_point_cap_is_read_in_blocks_and_its_points_sampled) {
  // 25,000 rows: more than `elbo plot` draws (PointSample::kDefaultCap, 20,000) and more
  // than one block of the predictive at 500 draws (12,582 rows a block for one output), so the reliability diagram's bins come
  // from several blocks (their sums: calibration_bin_sums' tests) and the scatter from a
  // uniform sample (point_sample's tests). Figures skipped, to keep the test short.
  TempDir dir;
  write_moons(dir / "train.csv", 150, 5);
  write_moons(dir / "big.csv", 25000, 6);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                                "--iters", "300"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  const std::string figs = dir / "figs";
  fs::create_directory(figs);
  ::setenv("ELBO_GNUPLOT", "/nonexistent-elbo-dir/gnuplot", 1);
  CliResult r = run_cli(dir, {"plot", "--model", dir / "m.elbo", "--data", dir / "big.csv", "--out", figs, "--draws",
                              "500", "--grid", "10", "--threads", "2"});
  ::unsetenv("ELBO_GNUPLOT");
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("the figures show 20000 of the 25000 data rows (a uniform sample); the reliability diagram "
                       "uses all"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("skipped 5 figures"), std::string::npos) << r.out;
}

TEST(cli_plot, figures_from_blocks_do_not_depend_on_threads_and_the_reliability_ece_is_evaluates) {
  // 8,000 rows at 1,000 draws: two blocks of the predictive (48 MB of draws a block), and
  // up to three parts of rows within a block at --threads 3. Every figure must be the same
  // bytes at 1 and 3 threads, and the reliability diagram's ECE (its bins summed block by
  // block) must be `evaluate`'s on the same rows and draws.
  if (!plot::gnuplot_available()) GTEST_SKIP() << "gnuplot is not installed";
  TempDir dir;
  write_moons(dir / "train.csv", 150, 5);
  write_moons(dir / "big.csv", 8000, 7);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                                "--iters", "300"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  const std::vector<std::string> stems = {"data", "predicted_labels", "posterior_mean", "uncertainty", "reliability"};
  for (const char* threads : {"1", "3"}) {
    const std::string figs = dir / (std::string("figs") + threads);
    fs::create_directory(figs);
    CliResult r = run_cli(dir, {"plot", "--model", dir / "m.elbo", "--data", dir / "big.csv", "--out", figs,
                                "--draws", "1000", "--grid", "10", "--threads", threads});
    ASSERT_EQ(r.code, 0) << describe(r);
    expect_figures(figs, stems);
  }
  for (const std::string& stem : stems)
    EXPECT_EQ(read_text(dir / ("figs1/" + stem + ".svg")), read_text(dir / ("figs3/" + stem + ".svg"))) << stem;
  const std::string svg = read_text(dir / "figs1/reliability.svg");
  const size_t at = svg.find("ECE = ");
  ASSERT_NE(at, std::string::npos);
  CliResult ev = run_cli(dir, {"evaluate", "--model", dir / "m.elbo", "--data", dir / "big.csv", "--draws", "1000",
                               "--json"});
  ASSERT_EQ(ev.code, 0) << describe(ev);
  const size_t e = ev.out.find("\"ece\":");
  ASSERT_NE(e, std::string::npos) << ev.out;
  char expected[32];
  std::snprintf(expected, sizeof expected, "%.3f", std::stod(ev.out.substr(e + 6)));
  EXPECT_EQ(svg.substr(at + 6, 5), expected) << ev.out;
}

TEST(cli_plot, regression_with_one_feature_has_no_figures_to_draw) {
  TempDir dir;
  write_sine(dir / "train.csv", 100, 0.2, 7);
  CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", dir / "m.elbo",
                                "--iters", "200"});
  ASSERT_EQ(fit.code, 0) << describe(fit);
  CliResult r = run_cli(dir, {"plot", "--model", dir / "m.elbo", "--data", dir / "train.csv", "--out", dir.path()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("the data has 1 features: the data and surface figures need exactly 2"), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace elbo::app_test
