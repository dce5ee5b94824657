// Data files through the command line. Bad ones: `elbo fit` and `elbo predict` stop with
// exit code 1 and the reader's message, which names the file, line and column, and leave no
// output file (an existing one is kept). Odd but valid ones (CRLF, a byte order mark,
// quoted numbers, blank lines, scientific notation, a constant column) fit and predict
// exactly as the same numbers written plainly do. The messages are the ones
// docs/RELIABILITY.md lists.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "app/cli_runner.hpp"
#include "app/data_sets.hpp"
#include "elbo/data/make_moons.hpp"
#include "elbo/data/npy.hpp"

namespace elbo::app_test {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

struct BadFile {
  std::string what;
  std::string name;     // the file's name
  std::string content;  // its bytes
  std::string message;  // a part of stderr; "{file}" is the file's path
};

std::ostream& operator<<(std::ostream& os, const BadFile& c) { return os << c.what; }

class CliBadData : public ::testing::TestWithParam<BadFile> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    write_moons(*dir_ / "train.csv", 60, 3);
    CliResult r = run_cli(*dir_, {"fit", "--recipe", "single", "--train", *dir_ / "train.csv", "--out",
                                  *dir_ / "m.elbo", "--iters", "50"});
    ASSERT_EQ(r.code, 0) << describe(r);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  std::string expected(const std::string& file) const {
    std::string m = GetParam().message;
    size_t at = m.find("{file}");
    if (at != std::string::npos) m.replace(at, 6, file);
    return m;
  }
  static TempDir* dir_;
  TempDir out_;
};
TempDir* CliBadData::dir_ = nullptr;

TEST_P(CliBadData, fit_exits_1_with_the_readers_message_and_writes_nothing) {
  const std::string file = out_ / GetParam().name;
  write_text(file, GetParam().content);
  CliResult r = run_cli(out_, {"fit", "--recipe", "single", "--train", file, "--out", out_ / "m.elbo"});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find("elbo fit: error: " + expected(file)), std::string::npos)
      << "expected '" << expected(file) << "' in\n" << describe(r);
  EXPECT_EQ(out_.files(), std::vector<std::string>{GetParam().name});
}

TEST_P(CliBadData, predict_exits_1_and_keeps_an_existing_output) {
  const std::string file = out_ / GetParam().name, pred = out_ / "pred.csv";
  write_text(file, GetParam().content);
  write_text(pred, "old\n");
  CliResult r = run_cli(out_, {"predict", "--model", *dir_ / "m.elbo", "--data", file, "--out", pred});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find("elbo predict: error: " + expected(file)), std::string::npos)
      << "expected '" << expected(file) << "' in\n" << describe(r);
  EXPECT_EQ(read_text(pred), "old\n");
  EXPECT_EQ(out_.files().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(
    csv, CliBadData,
    ::testing::Values(
        BadFile{"non_numeric_cell", "t.csv", "x1,x2,y\n0.5,1.0,1\n0.25,abc,0\n",
                "{file}:3:2: cell \"abc\" is not a number"},
        BadFile{"ragged_row", "t.csv", "x1,x2,y\n0.5,1.0,1\n0.25,0\n", "{file}:3:3: row has 2 fields, but the header has 3"},
        BadFile{"long_row", "t.csv", "x1,x2,y\n0.5,1.0,1,7\n", "{file}:2:4: row has 4 fields, but the header has 3"},
        BadFile{"empty_cell", "t.csv", "x1,x2,y\n0.5,,1\n", "{file}:2:2: cell is empty"},
        BadFile{"nan_cell", "t.csv", "x1,x2,y\n0.5,1,1\nnan,2,0\n",
                "{file}:3:1: cell \"nan\" is not a finite number (NaN and infinity are rejected)"},
        BadFile{"inf_cell", "t.csv", "x1,x2,y\n0.5,-inf,1\n",
                "{file}:2:2: cell \"-inf\" is not a finite number (NaN and infinity are rejected)"},
        BadFile{"out_of_range_cell", "t.csv", "x1,x2,y\n0.5,1e400,1\n",
                "{file}:2:2: cell \"1e400\" is out of the range of a double"},
        BadFile{"empty_file", "t.csv", "", "{file}: file is empty; expected a header row of column names"},
        BadFile{"header_only", "t.csv", "x1,x2,y\n", "{file}: no data rows after the header on line 1"},
        BadFile{"binary_garbage", "t.csv", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\x01\x02"s,
                "{file}:2:1: the file is not a text CSV (it contains the byte 0x1a)"},
        BadFile{"nul_byte", "t.csv", "x1,x2,y\n1,\0\x01,0\n"s,
                "{file}:2:2: the file is not a text CSV (it contains the byte 0x00, a NUL)"},
        BadFile{"unclosed_quote", "t.csv", "x1,x2,y\n1,\"2,0\n", "{file}:2:2: quoted field is not closed on this line"},
        BadFile{"repeated_column_name", "t.csv", "x1,x1,y\n1,2,0\n", "{file}:1:2: column name \"x1\" repeats column 1"}),
    [](const ::testing::TestParamInfo<BadFile>& info) { return info.param.what; });

// Fit-only file problems (predict reads these files differently or not at all).
TEST(cli_bad_data, a_file_with_one_column_has_no_feature) {
  TempDir dir;
  write_text(dir / "t.csv", "y\n0\n1\n");
  CliResult r = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "t.csv", "--out", dir / "m.elbo"});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find(dir / "t.csv" + ": has 1 column; fitting needs at least one feature column and a target column"),
            std::string::npos)
      << describe(r);
  EXPECT_FALSE(fs::exists(dir / "m.elbo"));
}

TEST(cli_bad_data, npy_with_a_nan_names_row_and_column) {
  TempDir dir;
  data::write_npy(dir / "t.npy", Tensor(DType::f64, {2, 3}, {1, 2, 0, 3, NAN, 1}));
  CliResult r = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "t.npy", "--out", dir / "m.elbo"});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find(dir / "t.npy" + ": row 1, column 1 is NaN; every value must be finite"), std::string::npos)
      << describe(r);
  EXPECT_FALSE(fs::exists(dir / "m.elbo"));
}

TEST(cli_bad_data, npy_that_is_not_an_npy_file) {
  TempDir dir;
  write_text(dir / "t.npy", "x1,x2,y\n1,2,0\n");
  CliResult r = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / "t.npy", "--out", dir / "m.elbo"});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find("elbo fit: error: " + dir / "t.npy"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("magic"), std::string::npos) << describe(r);
  EXPECT_FALSE(fs::exists(dir / "m.elbo"));
}

// ---------------------------------------------------------------- odd but valid

// The same numbers, written plainly and written with every oddity the reader accepts.
// Columns x1, x2, c (constant 5), y.
struct OddAndPlain {
  std::string plain, odd;
};

OddAndPlain moons_with_a_constant_column(int64_t rows) {
  auto moons = data::make_moons({.n_samples = rows, .noise = 0.2, .seed = 9});
  OddAndPlain f;
  f.plain = "x1,x2,c,y\n";
  f.odd = "\xEF\xBB\xBF\"x1\",x2,\"c\",y\r\n\r\n";  // BOM, quoted names, CRLF, a blank line
  char buf[200];
  for (int64_t r = 0; r < rows; ++r) {
    double x1 = moons.x[r * 2], x2 = moons.x[r * 2 + 1];
    int y = static_cast<int>(moons.y[r]);
    std::snprintf(buf, sizeof buf, "%.17g,%.17g,5,%d\n", x1, x2, y);
    f.plain += buf;
    // scientific notation, a quoted number, another spelling of 5, a quoted label
    std::snprintf(buf, sizeof buf, "%.17e,\"%.17g\",5.0E+00,\"%d\"\r\n", x1, x2, y);
    f.odd += buf;
  }
  f.odd += "\r\n\r\n\r\n";  // trailing blank lines
  return f;
}

TEST(cli_odd_input, crlf_bom_quotes_scientific_blank_lines_and_a_constant_column_fit_and_predict) {
  TempDir dir;
  OddAndPlain files = moons_with_a_constant_column(120);
  write_text(dir / "plain.csv", files.plain);
  write_text(dir / "odd.csv", files.odd);
  for (const char* name : {"plain", "odd"}) {
    CliResult fit = run_cli(dir, {"fit", "--recipe", "single", "--train", dir / (std::string(name) + ".csv"), "--out",
                                  dir / (std::string(name) + ".elbo"), "--iters", "300"});
    ASSERT_EQ(fit.code, 0) << name << "\n" << describe(fit);
    EXPECT_NE(fit.out.find("120 rows, 3 features; target 'y'"), std::string::npos) << name << "\n" << fit.out;
    EXPECT_NE(fit.out.find("likelihood: bernoulli"), std::string::npos) << name << "\n" << fit.out;
  }
  // The constant column is standardised with sd 1, not divided by zero: every prediction
  // is a finite probability.
  CliResult odd = run_cli(dir, {"predict", "--model", dir / "odd.elbo", "--data", dir / "odd.csv"});
  ASSERT_EQ(odd.code, 0) << describe(odd);
  CsvText pred = parse_csv_text(odd.out);
  ASSERT_EQ(pred.rows.size(), 120u);
  EXPECT_EQ(pred.header, (std::vector<std::string>{"mean", "sd", "label", "entropy", "mutual_info"}));
  for (const auto& row : pred.rows)
    for (double v : row) EXPECT_TRUE(std::isfinite(v));
  // The odd file means exactly the plain one: the same model, the same predictions, from
  // either file.
  CliResult plain = run_cli(dir, {"predict", "--model", dir / "plain.elbo", "--data", dir / "plain.csv"});
  ASSERT_EQ(plain.code, 0) << describe(plain);
  EXPECT_EQ(odd.out, plain.out);
  CliResult cross = run_cli(dir, {"predict", "--model", dir / "plain.elbo", "--data", dir / "odd.csv"});
  ASSERT_EQ(cross.code, 0) << describe(cross);
  EXPECT_EQ(cross.out, plain.out);
  // evaluate reads the odd file's target too.
  CliResult eval = run_cli(dir, {"evaluate", "--model", dir / "odd.elbo", "--data", dir / "odd.csv", "--json"});
  ASSERT_EQ(eval.code, 0) << describe(eval);
  EXPECT_NE(eval.out.find("\"rows\":120"), std::string::npos) << eval.out;
}

}  // namespace
}  // namespace elbo::app_test
