// elbo's side of the peer comparison (bench/peers/run_peers.sh): the tutorial's two fits,
// timed end to end, with the test accuracy of each, printed as one JSON line.
//
// The model is built as apps/elbo/demo_tutorial.cpp builds it: 2 -> 5 -> 5 -> 1 tanh,
// no biases, N(0, 1) priors with standard-normal initial means, a Bernoulli likelihood with
// total_size; float32, one thread, ADVI with its default optimizer (PyMC's adagrad_window).
//   full batch: 500 training rows, 30000 steps
//   minibatch:  50 rows drawn with replacement per step (pm.Minibatch), 40000 steps
// Accuracy: 500 draws from the approximation, mean probability > 0.5, on the 500 test rows.
//
// The clocks (wall and process CPU time) cover ADVI::fit only. Building the model and compiling its program happen
// before (the counterpart of the peers' JIT compilation); the first step's allocations are
// inside the clock.
//
// Usage: tutorial_fit_timing [--train train.csv --test test.csv] [--full-steps N]
//                            [--minibatch-steps N] [--threads T] [--seed S]
// Without --train/--test the data come from elbo's make_moons (seed 0), like the tutorial
// program. With them, the CSVs (columns x1, x2, y, as run_peers.sh writes them) give the
// very points the Python peers use.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <elbo/elbo.hpp>

namespace {

using namespace elbo;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string train, test;
  int64_t full_steps = 30000, minibatch_steps = 40000;
  int threads = 1;
  uint64_t seed = 0;
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "tutorial_fit_timing: %s\nusage: tutorial_fit_timing [--train FILE --test FILE] [--full-steps N] "
               "[--minibatch-steps N] [--threads T] [--seed S]\n",
               msg);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + k).c_str());
    const char* v = argv[++i];
    char* end = nullptr;
    auto num = [&] {
      long long n = std::strtoll(v, &end, 10);
      if (*v == '\0' || *end != '\0' || n < 0) usage((k + ": not a non-negative integer: " + v).c_str());
      return n;
    };
    if (k == "--train") a.train = v;
    else if (k == "--test") a.test = v;
    else if (k == "--full-steps") a.full_steps = num();
    else if (k == "--minibatch-steps") a.minibatch_steps = num();
    else if (k == "--threads") a.threads = static_cast<int>(num());
    else if (k == "--seed") a.seed = static_cast<uint64_t>(num());
    else usage(("unknown option " + k).c_str());
  }
  if (a.train.empty() != a.test.empty()) usage("--train and --test go together");
  if (a.threads < 1) usage("--threads must be at least 1");
  if (a.full_steps < 1 || a.minibatch_steps < 1) usage("step counts must be at least 1");
  return a;
}

// construct_nn of the tutorial (apps/elbo/demo_tutorial.cpp).
Expr construct_nn(Model& m, Expr x, Expr y, int64_t total_size, uint64_t seed) {
  Philox rng(seed);
  Tensor init_1 = rng.normal(DType::f64, {2, 5}, 0, 0);
  Tensor init_2 = rng.normal(DType::f64, {5, 5}, 1, 0);
  Tensor init_out = rng.normal(DType::f64, {5}, 2, 0);
  Expr w_in_1 = m.normal("w_in_1", 0, 1, {2, 5}, {.initial = init_1});
  Expr w_1_2 = m.normal("w_1_2", 0, 1, {5, 5}, {.initial = init_2});
  Expr w_2_out = m.normal("w_2_out", 0, 1, {5}, {.initial = init_out});
  Expr act_1 = tanh(matmul(x, w_in_1));
  Expr act_2 = tanh(matmul(act_1, w_1_2));
  Expr p = m.deterministic("p", sigmoid(matmul(act_2, w_2_out)));
  m.bernoulli("out", p, y, {.total_size = static_cast<double>(total_size)});
  return p;
}

double accuracy(Predictor& predict, const Tensor& x, const Tensor& y, int64_t draws) {
  Tensor probs = predict({x}, draws);  // [draws, rows]
  int64_t rows = x.dim(0), ok = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t d = 0; d < draws; ++d) s += probs[d * rows + r];
    double label = s / static_cast<double>(draws) > 0.5 ? 1.0 : 0.0;
    ok += label == (y[r] > 0.5 ? 1.0 : 0.0);
  }
  return static_cast<double>(ok) / static_cast<double>(rows);
}

// The progress bar's "Average Loss": the mean of the last n losses.
double mean_of_last(const std::vector<double>& h, size_t n) {
  size_t k = std::min(n, h.size());
  double s = 0;
  for (size_t i = h.size() - k; i < h.size(); ++i) s += h[i];
  return k ? s / static_cast<double>(k) : 0;
}

struct FitResult {
  int64_t steps = 0;
  double seconds = 0, cpu_seconds = 0, accuracy = 0, final_loss = 0, average_loss = 0;
};

void print_fit(const char* name, const FitResult& r, bool last) {
  std::printf("\"%s\": {\"steps\": %ld, \"seconds\": %.6f, \"steps_per_s\": %.1f, \"us_per_step\": %.4f, "
              "\"cpu_seconds\": %.6f, \"cpu_us_per_step\": %.4f, \"test_accuracy\": %.4f, \"final_loss\": %.4f, "
              "\"average_loss_last_1000\": %.4f, "
              "\"wall_seconds\": %.6f, \"warmup_seconds\": 0, \"timing\": \"ADVI::fit only; the model's program is "
              "compiled before, in the ADVI constructor\"}%s",
              name, static_cast<long>(r.steps), r.seconds, r.steps / r.seconds, 1e6 * r.seconds / r.steps,
              r.cpu_seconds, 1e6 * r.cpu_seconds / r.steps, r.accuracy, r.final_loss, r.average_loss, r.seconds,
              last ? "" : ", ");
}

}  // namespace

int main(int argc, char** argv) try {
  Args a = parse(argc, argv);
  const DType f32 = DType::f32;
  data::Dataset train, test;
  std::string source;
  if (a.train.empty()) {
    auto moons = data::make_moons({.n_samples = 1000, .noise = 0.2, .seed = a.seed, .dtype = f32});
    std::tie(train, test) = data::train_test_split(data::standardize(moons), {.test_size = 0.5, .seed = a.seed});
    source = "elbo make_moons";
  } else {
    train = data::split_target(data::read_csv(a.train), "y", f32);
    test = data::split_target(data::read_csv(a.test), "y", f32);
    source = "csv";
  }
  const int64_t pred_draws = 500;

  // Full batch (In [8] of the tutorial: ADVI without grad scaling).
  FitResult full;
  {
    Model nn(f32);
    Expr x = nn.data("ann_input", train.x), y = nn.data("ann_output", train.y);
    Expr p = construct_nn(nn, x, y, train.rows(), a.seed + 2);
    ADVI advi(nn, {.seed = a.seed + 3, .threads = a.threads});
    auto t0 = Clock::now();
    std::clock_t c0 = std::clock();
    advi.fit(a.full_steps, {.progressbar = false});
    full.cpu_seconds = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    full.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    full.steps = a.full_steps;
    full.final_loss = advi.hist().empty() ? 0 : advi.hist().back();
    full.average_loss = mean_of_last(advi.hist(), 1000);
    Predictor predict = Posterior(advi).predictor(p, {x}, {.threads = a.threads, .seed = a.seed + 7});
    full.accuracy = accuracy(predict, test.x, test.y, pred_draws);
  }

  // Minibatch (In [24] - In [25]): batches of 50 rows drawn with replacement, total_size.
  FitResult mb;
  {
    Model nn(f32);
    auto batch = nn.minibatch({"minibatch_x", "minibatch_y"}, {train.x, train.y}, {.batch_size = 50, .seed = a.seed + 8});
    Expr p = construct_nn(nn, batch[0], batch[1], train.rows(), a.seed + 2);
    ADVI advi(nn, {.seed = a.seed + 9, .threads = a.threads});
    auto t0 = Clock::now();
    std::clock_t c0 = std::clock();
    advi.fit(a.minibatch_steps, {.progressbar = false});
    mb.cpu_seconds = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    mb.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    mb.steps = a.minibatch_steps;
    mb.final_loss = advi.hist().empty() ? 0 : advi.hist().back();
    mb.average_loss = mean_of_last(advi.hist(), 1000);
    Predictor predict = Posterior(advi).predictor(p, {batch[0]}, {.threads = a.threads, .seed = a.seed + 10});
    mb.accuracy = accuracy(predict, test.x, test.y, pred_draws);
  }

  std::printf("{\"impl\": \"elbo\", \"dtype\": \"float32\", \"threads\": %d, \"optimizer\": \"adagrad_window\", "
              "\"data\": \"%s\", \"train_rows\": %ld, \"test_rows\": %ld, ",
              a.threads, source.c_str(), static_cast<long>(train.rows()), static_cast<long>(test.rows()));
  print_fit("full", full, false);
  print_fit("minibatch", mb, true);
  std::printf("}\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "tutorial_fit_timing: %s\n", e.what());
  return 1;
}
