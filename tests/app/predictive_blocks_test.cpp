// `elbo predict`, `evaluate` and `plot` stream their data block by block of rows
// (apps/elbo/predictive_blocks.hpp, table_blocks.hpp): a block's draws stay within a fixed
// number of bytes, the results equal those of the whole data in one piece, and errors in a
// later block name their row in the file.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"
#include "elbo/bnn/metric.hpp"
#include "network_file.hpp"
#include "predictive_blocks.hpp"

namespace elbo::app_test {
namespace {

namespace fs = std::filesystem;

// A moons network fitted briefly, and 8000 moons rows to predict at: with 2000 draws of one
// output a block holds at most 48 MB / (2000 x 8 bytes) = 3145 rows (fewer, to a whole
// number of the predictive's runs), so the rows span three blocks.
constexpr int64_t kRows = 8000, kDraws = 2000;

struct FittedMoons {
  TempDir dir;
  std::string model = dir / "m.elbo", data = dir / "rows.csv";
  FittedMoons() {
    write_moons(dir / "train.csv", 200, 3);
    CliResult r = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "train.csv", "--out", model, "--iters",
                                "300"});
    EXPECT_EQ(r.code, 0) << describe(r);
    write_moons(data, kRows, 4);
  }
};

Tensor features_of(const std::string& csv) {
  data::Table t = data::read_csv(csv);
  Tensor x(DType::f64, {t.rows(), 2});
  for (int64_t r = 0; r < t.rows(); ++r)
    for (int64_t c = 0; c < 2; ++c) x.set(r * 2 + c, t.values[r * 3 + c]);
  return x;
}

std::vector<double> targets_of(const std::string& csv) {
  data::Table t = data::read_csv(csv);
  std::vector<double> y(static_cast<size_t>(t.rows()));
  for (int64_t r = 0; r < t.rows(); ++r) y[r] = t.values[r * 3 + 2];
  return y;
}

TEST(predictive_blocks, a_block_is_the_most_whole_runs_within_both_bounds) {
  FittedMoons m;
  cli::LoadedNetwork n = cli::load_network(m.model);
  for (int64_t draws : {1, 7, 500, 2000, 1000000})
    for (int64_t columns : {3, 1000, 100000}) {
      const int64_t rows = cli::predictive_block_rows(n, columns, draws);
      const int64_t run = predictive_rows_per_run(*n.model, *n.q, 2, 1, draws);
      // The most rows within both bounds (at least one, even when one row's draws exceed
      // them: a million draws), then down to a whole number of the predictive's runs.
      int64_t bound = std::min(cli::kPredictiveBlockBytes / (draws * 8), cli::kDataBlockBytes / (columns * 32));
      bound = std::max<int64_t>(bound, 1);
      const int64_t expected = bound >= run ? bound / run * run : bound;
      EXPECT_EQ(rows, expected) << draws << " draws, " << columns << " columns, runs of " << run;
    }
  EXPECT_LT(cli::predictive_block_rows(n, 3, kDraws) * 2, kRows);  // the tests below span three blocks
}

TEST(predictive_blocks, the_table_in_blocks_and_parts_equals_the_whole_at_once) {
  FittedMoons m;
  cli::LoadedNetwork n = cli::load_network(m.model);
  const Tensor x = features_of(m.data);
  const PredictionTable whole = n.spec.likelihood->predictions(cli::predictive_draws(n, x, kDraws, 5, 1), 0.94);
  const PredictionTable one_thread = cli::prediction_table(n, x, kDraws, 5, 0.94, 1);
  for (int threads : {1, 3}) {
    const PredictionTable blocks = cli::prediction_table(n, x, kDraws, 5, 0.94, threads);
    EXPECT_TRUE(blocks.values == one_thread.values) << threads << " threads: not the same bits as one";
    ASSERT_EQ(blocks.columns, whole.columns);
    ASSERT_EQ(blocks.values.size(), whole.values.size());
    // The network runs in float32 and a block's products have other shapes than the
    // whole's, so a probability may move in its last float bits (about 6e-8); the summaries
    // in double add nothing larger.
    for (size_t i = 0; i < whole.values.size(); ++i)
      ASSERT_NEAR(blocks.values[i], whole.values[i], 1e-6) << "value " << i << ", " << threads << " threads";
  }
}

TEST(predictive_blocks, evaluate_in_blocks_gives_the_metrics_of_the_whole) {
  FittedMoons m;
  cli::LoadedNetwork n = cli::load_network(m.model);
  const Metrics whole = evaluate_predictions(*n.spec.likelihood, cli::predictive_draws(n, features_of(m.data), kDraws, 0, 1),
                                             targets_of(m.data), 0.94);
  CliResult e = run_cli(m.dir, {"evaluate", "--model", m.model, "--data", m.data, "--json", "--draws",
                                std::to_string(kDraws), "--threads", "2"});
  ASSERT_EQ(e.code, 0) << describe(e);
  nlohmann::json j = nlohmann::json::parse(e.out);
  EXPECT_EQ(j["rows"].get<int64_t>(), kRows);
  // As above: float32 outputs; mlpd averages log densities of those probabilities.
  EXPECT_NEAR(j["mlpd"].get<double>(), whole.mlpd, 1e-6);
  for (const char* name : {"accuracy", "brier", "ece"}) EXPECT_NEAR(j[name].get<double>(), *whole.find(name), 1e-6) << name;
  EXPECT_GT(j["accuracy"].get<double>(), 0.8);  // a fitted network, not a constant
}

TEST(predictive_blocks, a_bad_target_in_a_later_block_names_its_row_in_the_file) {
  FittedMoons m;
  std::string text;
  {
    std::ifstream in(m.data);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Data row 7000 (line 7001 after the header) gets the label 2, in the third block.
  size_t at = 0;
  for (int line = 0; line < 7000; ++line) at = text.find('\n', at) + 1;
  const size_t end = text.find('\n', at);
  const std::string row = text.substr(at, end - at);
  text.replace(at, end - at, row.substr(0, row.rfind(',') + 1) + "2");
  const std::string bad = m.dir / "bad.csv";
  std::ofstream(bad) << text;
  CliResult e = run_cli(m.dir, {"evaluate", "--model", m.model, "--data", bad, "--draws", std::to_string(kDraws)});
  EXPECT_NE(e.code, 0);
  EXPECT_NE(e.err.find("value 2 in data row 7000 is not 0 or 1"), std::string::npos) << describe(e);
}

TEST(predictive_blocks, a_bad_cell_after_the_first_blocks_leaves_no_output_file) {
  FittedMoons m;
  std::string text;
  {
    std::ifstream in(m.data);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text += "0.5,oops,1\n";  // line kRows + 2, in the last block
  const std::string bad = m.dir / "bad.csv", out = m.dir / "p.csv";
  std::ofstream(bad) << text;
  const std::vector<std::string> args = {"predict", "--model", m.model, "--data", bad, "--draws", std::to_string(kDraws)};
  // On standard output the blocks before the bad one have been written (streamed): at
  // least two blocks' rows and the header.
  CliResult streamed = run_cli(m.dir, args);
  EXPECT_NE(streamed.code, 0);
  EXPECT_NE(streamed.err.find(":" + std::to_string(kRows + 2) + ":"), std::string::npos) << describe(streamed);
  const int64_t block = cli::predictive_block_rows(cli::load_network(m.model), 3, kDraws);
  EXPECT_GE(std::count(streamed.out.begin(), streamed.out.end(), '\n'), 2 * block + 1);
  // To --out nothing is written: the file appears only when every block has been.
  std::vector<std::string> to_file = args;
  to_file.insert(to_file.end(), {"--out", out});
  CliResult p = run_cli(m.dir, to_file);
  EXPECT_NE(p.code, 0);
  EXPECT_FALSE(fs::exists(out));
  for (const auto& entry : fs::directory_iterator(m.dir.path()))
    EXPECT_EQ(entry.path().filename().string().find("p.csv.tmp"), std::string::npos) << entry.path();
}

}  // namespace
}  // namespace elbo::app_test
