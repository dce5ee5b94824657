// The hand-written counterpart of `elbo fit` for the tutorial network, as a whole process:
// the target is that `elbo fit --no-bias --threads 1 --dtype float32` takes at most
// 1.25x the time of this program, both timed from exec to exit (bench/cli_vs_hand.sh).
//
// It does the job of
//   elbo fit --train T --out M --no-bias --iters N --threads 1 --dtype float32 [--batch-size B]
// for the 2 -> 5 -> 5 -> 1 tanh network alone, and nothing a user did not ask for:
//   1. reads the CSV with a small dedicated reader (a header row, then numbers; the last
//      column is the target, as the CLI's default `--target`). It does not use elbo's
//      read_csv, which also accepts quotes, a BOM, CRLF, blank lines and reports bad cells;
//      on 500 rows either takes well under a millisecond, so the choice does not move the
//      figures, and this keeps the program free of elbo's data layer.
//   2. standardises each feature with the training mean and population sd (sd 1 for a
//      constant column), in double, then rounds to the network's type, as the CLI does.
//   3. starts the means as the CLI does for --no-bias: build_mlp's seeded N(0, 1) draws
//      (Philox(seed), stream 0x1417, one counter per weight matrix in model order) times
//      min(1, 2 / sqrt(fan_in)) (apps/elbo/cmd_fit.cpp, initial_means; fan_in = rows of the
//      weight matrix), and every sigma at 0.05 (fit_defaults::start_sigma).
//   4. runs N mean-field ADVI steps with bench/reference/ (FusedAdvi: feature-major, a
//      block of rows in registers, forward and backward fused) and the same optimizer and
//      learning rate as the CLI run: adam 0.01 by default, the CLI's default (the
//      hand-written Adam of bench/reference/adam.hpp), or --optimizer adagrad_window (lr
//      1e-3, PyMC's). eps comes from the same Philox stream as elbo's (seed, stream 1,
//      counter = step), and with --batch-size B the rows are drawn with replacement from
//      the same Philox words as the CLI's minibatch (seed + 1, stream 0x6d62), with
//      total_size = rows. So both compute the same loss history up to float rounding,
//      which the final loss shows.
//   5. prints the mean loss of the last 100 steps and the time of the steps, and writes
//      the fitted means and sigmas as text (one "mean sigma" line per weight, model
//      order) with a plain write (no temporary file, no fsync: elbo's model file is
//      written atomically with an fsync, which is part of the CLI's cost).
// It does not compute a training accuracy (the CLI's post-fit pass of 200 posterior draws);
// that pass is measured separately by bench/cli_vs_hand.sh.
//
// Usage: hand_fit --train FILE --out FILE --iters N [--batch-size B] [--seed S]
//                 [--optimizer adam|adagrad_window] [--lr X] [--dtype float32|float64]
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "elbo/graph/random.hpp"
#include "reference/adagrad_window.hpp"
#include "reference/adam.hpp"
#include "reference/fused_advi.hpp"
#include "reference/tutorial_net.hpp"

namespace {

using namespace elbo;
using namespace elbo::bench;

struct Args {
  std::string train, out, optimizer = "adam", dtype = "float32";
  int64_t iters = 0, batch = 0;
  uint64_t seed = 0;
  double lr = 0;  // 0: the optimizer's default as the CLI uses it
};

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "hand_fit: %s\n", msg.c_str());
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) fail("missing value after " + k);
    const std::string v = argv[++i];
    auto integer = [&] {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || p != v.data() + v.size() || n < 0) fail(k + ": not a non-negative integer: " + v);
      return n;
    };
    if (k == "--train") a.train = v;
    else if (k == "--out") a.out = v;
    else if (k == "--iters") a.iters = integer();
    else if (k == "--batch-size") a.batch = integer();
    else if (k == "--seed") a.seed = static_cast<uint64_t>(integer());
    else if (k == "--optimizer") a.optimizer = v;
    else if (k == "--dtype") a.dtype = v;
    else if (k == "--lr") a.lr = std::strtod(v.c_str(), nullptr);
    else fail("unknown flag " + k);
  }
  if (a.train.empty() || a.out.empty() || a.iters < 1)
    fail("usage: hand_fit --train FILE --out FILE --iters N [--batch-size B] [--seed S] "
         "[--optimizer adam|adagrad_window] [--lr X] [--dtype float32|float64]");
  if (a.optimizer != "adam" && a.optimizer != "adagrad_window") fail("--optimizer: adam or adagrad_window");
  if (a.dtype != "float32" && a.dtype != "float64") fail("--dtype: float32 or float64");
  return a;
}

// The whole file, then a header line and rows of comma-separated numbers.
struct Csv {
  int64_t cols = 0, rows = 0;
  std::vector<double> values;  // row-major [rows, cols]
};

Csv read_numbers(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail("cannot open " + path);
  std::string text;
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  Csv csv;
  size_t pos = text.find('\n');
  if (pos == std::string::npos) fail(path + ": no data rows");
  csv.cols = 1;
  for (size_t i = 0; i < pos; ++i) csv.cols += text[i] == ',';
  const char* p = text.data() + pos + 1;
  const char* end = text.data() + text.size();
  while (p < end) {
    if (*p == '\n' || *p == '\r') {
      ++p;
      continue;
    }
    for (int64_t c = 0; c < csv.cols; ++c) {
      double v = 0;
      auto [q, ec] = std::from_chars(p, end, v);
      if (ec != std::errc()) fail(path + ": row " + std::to_string(csv.rows + 1) + ": not a number");
      csv.values.push_back(v);
      p = q;
      if (c + 1 < csv.cols) {
        if (p >= end || *p != ',') fail(path + ": row " + std::to_string(csv.rows + 1) + ": too few columns");
        ++p;
      }
    }
    ++csv.rows;
  }
  return csv;
}

template <class T, class Opt>
int run(const Args& a, const Csv& csv, Opt opt) {
  using Net = TutorialNet<T>;
  constexpr int64_t D = Net::kDim;
  const int64_t n = csv.rows, F = csv.cols - 1;
  if (F != Net::kIn) fail(a.train + ": the tutorial network takes 2 features, the file has " + std::to_string(F));

  // Standardised features (training mean, population sd) and the 0/1 target, in T.
  std::vector<T> x(static_cast<size_t>(n * F)), y(static_cast<size_t>(n));
  for (int64_t c = 0; c < F; ++c) {
    double sum = 0;
    bool constant = true;
    for (int64_t r = 0; r < n; ++r) {
      sum += csv.values[r * csv.cols + c];
      constant = constant && csv.values[r * csv.cols + c] == csv.values[c];
    }
    const double mean = constant ? csv.values[c] : sum / static_cast<double>(n);
    double ss = 0;
    for (int64_t r = 0; r < n; ++r) {
      const double d = csv.values[r * csv.cols + c] - mean;
      ss += d * d;
    }
    double sd = std::sqrt(ss / static_cast<double>(n));
    if (constant || sd == 0.0 || sd <= 10.0 * 2.220446049250313e-16 * std::abs(mean)) sd = 1.0;
    for (int64_t r = 0; r < n; ++r) x[r * F + c] = static_cast<T>((csv.values[r * csv.cols + c] - mean) / sd);
  }
  for (int64_t r = 0; r < n; ++r) y[r] = static_cast<T>(csv.values[r * csv.cols + F]);

  // Initial means: build_mlp's draws, scaled as the CLI's initial_means does.
  std::vector<double> mu0(static_cast<size_t>(D));
  {
    const Philox init(a.seed);
    const int64_t sizes[3] = {Net::kIn * Net::kH1, Net::kH1 * Net::kH2, Net::kH2};
    const double fan_in[3] = {Net::kIn, Net::kH1, Net::kH2};
    for (int64_t k = 0, off = 0; k < 3; off += sizes[k], ++k) {
      init.normal(mu0.data() + off, sizes[k], 0x1417, static_cast<uint64_t>(k));
      const double scale = std::min(1.0, 2.0 / std::sqrt(fan_in[k]));
      for (int64_t i = off; i < off + sizes[k]; ++i) mu0[i] *= scale;
    }
  }
  const double start_rho = std::log(std::expm1(0.05));
  FusedAdvi<T, Opt> advi(mu0, a.seed, start_rho, std::move(opt));

  Net net;
  const bool minibatch = a.batch > 0;
  const int64_t B = minibatch ? a.batch : n;
  if (B > n) fail("--batch-size: more than the " + std::to_string(n) + " rows");
  std::vector<int64_t> rows(static_cast<size_t>(B));
  std::vector<uint32_t> bits(static_cast<size_t>(B));
  const Philox row_rng(a.seed + 1);
  if (!minibatch) net.set_data(x.data(), y.data(), n);

  double last[100] = {};
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < a.iters; ++s) {
    if (minibatch) {
      row_rng.bits(bits.data(), B, 0x6d62, static_cast<uint64_t>(s));
      for (int64_t i = 0; i < B; ++i)
        rows[i] = static_cast<int64_t>((static_cast<uint64_t>(bits[i]) * static_cast<uint64_t>(n)) >> 32);
      net.set_data_rows(x.data(), y.data(), rows.data(), B);
    }
    last[s % 100] = advi.step(net, minibatch ? static_cast<double>(n) : 0.0);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int64_t tail = std::min<int64_t>(a.iters, 100);
  double mean_loss = 0;
  for (int64_t i = 0; i < tail; ++i) mean_loss += last[i] / static_cast<double>(tail);

  const std::vector<double>& p = advi.params();
  std::FILE* f = std::fopen(a.out.c_str(), "wb");
  if (!f) fail("cannot write " + a.out);
  std::fprintf(f, "# mean sigma, %ld weights in model order (w_in_1, w_1_2, w_2_out)\n", static_cast<long>(D));
  for (int64_t i = 0; i < D; ++i) {
    const double rho = p[D + i];
    const double sigma = rho > 0 ? rho + std::log1p(std::exp(-rho)) : std::log1p(std::exp(rho));
    std::fprintf(f, "%.17g %.17g\n", p[i], sigma);
  }
  if (std::fclose(f) != 0) fail("cannot write " + a.out);

  std::printf("fitted: %ld steps in %.2f s (%.0f steps/s)%s; mean loss of the last %ld steps %.4g\n",
              static_cast<long>(a.iters), seconds, static_cast<double>(a.iters) / std::max(seconds, 1e-9),
              minibatch ? (", minibatches of " + std::to_string(B) + " rows").c_str() : "", static_cast<long>(tail),
              mean_loss);
  std::printf("wrote %s\n", a.out.c_str());
  return 0;
}

template <class T>
int run_typed(const Args& a, const Csv& csv) {
  constexpr int64_t P = 2 * TutorialNet<T>::kDim;
  if (a.optimizer == "adam") return run<T>(a, csv, Adam(P, a.lr > 0 ? a.lr : 0.01));
  return run<T>(a, csv, AdagradWindow(P, a.lr > 0 ? a.lr : 1e-3));
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  const Csv csv = read_numbers(a.train);
  return a.dtype == "float32" ? run_typed<float>(a, csv) : run_typed<double>(a, csv);
}
