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
// The clocks (wall and process CPU time) cover ADVI::fit only; warmup_seconds is the ADVI
// constructor's time (compiling the program), so wall_seconds is the whole fit as
// `elbo.fit` in Python does it; predict_seconds is the compiled predictor's median time for
// 500 draws at the 500 test rows. Building the model and compiling its program happen
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

#include "tutorial_fit.hpp"

namespace {

using namespace elbo;
using namespace elbo::bench;
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

constexpr const char* kTiming =
    "ADVI::fit only; the model's program is compiled before, in the ADVI constructor (warmup_seconds)";

}  // namespace

int main(int argc, char** argv) try {
  Args a = parse(argc, argv);
  const DType f32 = DType::f32;
  auto [train, test, source] = tutorial_fit_data(a.train, a.test, a.seed, f32);
  const int64_t pred_draws = 500;

  // Full batch (In [8] of the tutorial: ADVI without grad scaling).
  FitResult full;
  {
    Model nn(f32);
    Expr x = nn.data("ann_input", train.x), y = nn.data("ann_output", train.y);
    Expr p = construct_nn(nn, x, y, train.rows(), a.seed + 2);
    auto tc = Clock::now();
    ADVI advi(nn, {.seed = a.seed + 3, .threads = a.threads});
    full.warmup_seconds = std::chrono::duration<double>(Clock::now() - tc).count();
    auto t0 = Clock::now();
    std::clock_t c0 = std::clock();
    advi.fit(a.full_steps, {.progressbar = false});
    full.cpu_seconds = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    full.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    full.steps = a.full_steps;
    full.final_loss = advi.hist().empty() ? 0 : advi.hist().back();
    full.average_loss = mean_of_last(advi.hist(), 1000);
    Predictor predict = Posterior(advi).predictor(p, {x}, {.threads = a.threads, .seed = a.seed + 7});
    full.accuracy = tutorial_accuracy(predict, test.x, test.y, pred_draws);
    full.predict_seconds = median_predict_seconds(predict, test.x, pred_draws);
  }

  // Minibatch (In [24] - In [25]): batches of 50 rows drawn with replacement, total_size.
  FitResult mb;
  {
    Model nn(f32);
    auto batch = nn.minibatch({"minibatch_x", "minibatch_y"}, {train.x, train.y}, {.batch_size = 50, .seed = a.seed + 8});
    Expr p = construct_nn(nn, batch[0], batch[1], train.rows(), a.seed + 2);
    auto tc = Clock::now();
    ADVI advi(nn, {.seed = a.seed + 9, .threads = a.threads});
    mb.warmup_seconds = std::chrono::duration<double>(Clock::now() - tc).count();
    auto t0 = Clock::now();
    std::clock_t c0 = std::clock();
    advi.fit(a.minibatch_steps, {.progressbar = false});
    mb.cpu_seconds = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    mb.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    mb.steps = a.minibatch_steps;
    mb.final_loss = advi.hist().empty() ? 0 : advi.hist().back();
    mb.average_loss = mean_of_last(advi.hist(), 1000);
    Predictor predict = Posterior(advi).predictor(p, {batch[0]}, {.threads = a.threads, .seed = a.seed + 10});
    mb.accuracy = tutorial_accuracy(predict, test.x, test.y, pred_draws);
    mb.predict_seconds = median_predict_seconds(predict, test.x, pred_draws);
  }

  std::printf("{\"impl\": \"elbo\", \"dtype\": \"float32\", \"threads\": %d, \"optimizer\": \"adagrad_window\", "
              "\"data\": \"%s\", \"train_rows\": %ld, \"test_rows\": %ld, ",
              a.threads, source.c_str(), static_cast<long>(train.rows()), static_cast<long>(test.rows()));
  print_fit("full", full, kTiming, false);
  print_fit("minibatch", mb, kTiming, true);
  std::printf("}\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "tutorial_fit_timing: %s\n", e.what());
  return 1;
}
