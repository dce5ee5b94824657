// elbo's side of the approximating families' peer comparison
// (bench/peers/run_family_peers.sh, docs/PERFORMANCE.md "Peers: the approximating
// families"): the tutorial's network fitted full batch with one of the families of issue
// #16, timed end to end, with its test accuracy, printed as one JSON line in the schema of
// tutorial_fit_timing and bench/peers/common.py (the fit under "full").
//
// The model is tutorial_fit_timing's (bench/tutorial_fit.hpp): 2 -> 5 -> 5 -> 1 tanh, no
// biases, N(0, 1) priors with standard-normal initial means, a Bernoulli likelihood with
// total_size; float32 network, one thread, 500 training rows, full batch, one draw per
// step (svgd: every particle every step). The family is make_inference's:
//   fullrank_advi              FullRankADVI (a dense Cholesky factor)
//   lowrank_advi --rank K      diagonal plus a rank-K factor (NumPyro's AutoLowRankMultivariateNormal)
//   nfvi --flow F              a normalizing flow, PyMC's formula ("iaf*2": two inverse
//                              autoregressive layers, NumPyro's AutoIAFNormal(num_flows=2))
//   svgd --particles N         Stein variational gradient descent on N particles (pm.SVGD)
//   advi, asvgd                also accepted
// Optimizer: --optimizer (default adam) at --lr (default 0.01), any of PyMC's.
// Accuracy: --draws (500) draws from the approximation, mean probability > 0.5, on the
// test rows.
//
// The clocks (wall and process CPU time) cover Inference::fit only. Compiling the model's
// program and the family happens before, in the inference's constructor (the counterpart
// of the peers' compilation): its wall time is "warmup_seconds", and "wall_seconds" is
// constructor plus fit. The first step's allocations are inside the clock.
//
// Usage: family_fit_timing --method M [--train train.csv --test test.csv] [--steps N]
//                          [--rank K] [--flow F] [--particles N] [--optimizer NAME] [--lr X]
//                          [--draws N] [--threads T] [--seed S]
// Without --train/--test the data come from elbo's make_moons (seed S).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>

#include <elbo/elbo.hpp>

#include "tutorial_fit.hpp"

namespace {

using namespace elbo;
using namespace elbo::bench;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string train, test, method, flow, optimizer = "adam";
  double lr = 0.01;
  int64_t steps = 5000, rank = 0, particles = 100, draws = 500;
  int threads = 1;
  uint64_t seed = 0;
};

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr,
               "family_fit_timing: %s\nusage: family_fit_timing --method "
               "fullrank_advi|lowrank_advi|nfvi|svgd|advi|asvgd [--train FILE --test FILE] [--steps N] [--rank K] "
               "[--flow FORMULA] [--particles N] [--optimizer NAME] [--lr X] [--draws N] [--threads T] [--seed S]\n",
               msg.c_str());
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) usage("missing value after " + k);
    const char* v = argv[++i];
    char* end = nullptr;
    auto num = [&] {
      long long n = std::strtoll(v, &end, 10);
      if (*v == '\0' || *end != '\0' || n < 0) usage(k + ": not a non-negative integer: " + v);
      return n;
    };
    if (k == "--train") a.train = v;
    else if (k == "--test") a.test = v;
    else if (k == "--method") a.method = v;
    else if (k == "--flow") a.flow = v;
    else if (k == "--optimizer") a.optimizer = v;
    else if (k == "--lr") {
      a.lr = std::strtod(v, &end);
      if (*v == '\0' || *end != '\0' || !(a.lr > 0)) usage("--lr: not a positive number: " + std::string(v));
    } else if (k == "--steps") a.steps = num();
    else if (k == "--rank") a.rank = num();
    else if (k == "--particles") a.particles = num();
    else if (k == "--draws") a.draws = num();
    else if (k == "--threads") a.threads = static_cast<int>(num());
    else if (k == "--seed") a.seed = static_cast<uint64_t>(num());
    else usage("unknown option " + k);
  }
  if (a.method.empty()) usage("--method is required");
  if (a.train.empty() != a.test.empty()) usage("--train and --test go together");
  if (a.threads < 1) usage("--threads must be at least 1");
  if (a.steps < 1 || a.draws < 1) usage("--steps and --draws must be at least 1");
  if (a.method == "svgd" && a.particles < 2) usage("--particles must be at least 2");
  return a;
}

// JSON string contents: the formula and names hold no quotes or backslashes, but be safe.
std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  Args a = parse(argc, argv);
  const DType f32 = DType::f32;
  auto [train, test, source] = tutorial_fit_data(a.train, a.test, a.seed, f32);

  Model nn(f32);
  Expr x = nn.data("ann_input", train.x), y = nn.data("ann_output", train.y);
  Expr p = construct_nn(nn, x, y, train.rows(), a.seed + 2);
  InferenceOptions io{.seed = a.seed + 3,
                      .optimizer = {.name = a.optimizer, .learning_rate = a.lr},
                      .threads = a.threads,
                      .rank = a.rank,
                      .flow = a.flow,
                      .particles = a.particles};
  FitResult r;
  auto tc = Clock::now();
  std::unique_ptr<Inference> inf = make_inference(nn, a.method, io);  // compiles the programs
  r.warmup_seconds = std::chrono::duration<double>(Clock::now() - tc).count();

  auto t0 = Clock::now();
  std::clock_t c0 = std::clock();
  inf->fit(a.steps, {.progressbar = false});
  r.cpu_seconds = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.steps = a.steps;
  r.final_loss = inf->hist().empty() ? 0 : inf->hist().back();
  r.average_loss = mean_of_last(inf->hist(), 1000);
  Predictor predict = Posterior(*inf).predictor(p, {x}, {.threads = a.threads, .seed = a.seed + 7});
  r.accuracy = tutorial_accuracy(predict, test.x, test.y, a.draws);

  const Approximation& q = inf->approximation();
  std::string settings;
  if (a.method == "lowrank_advi") settings = a.rank ? "rank " + std::to_string(a.rank) : "rank round(sqrt(D))";
  if (a.method == "nfvi") settings = "flow " + (a.flow.empty() ? std::string("scale-loc") : a.flow);
  if (a.method == "svgd") settings = std::to_string(a.particles) + " particles";
  char lr[32];
  std::snprintf(lr, sizeof lr, "%g", a.lr);
  std::printf("{\"impl\": \"elbo\", \"method\": \"%s\", \"settings\": \"%s\", \"rank\": %ld, \"flow\": \"%s\", "
              "\"particles\": %ld, \"approximation\": \"%s\", \"latent_dim\": %ld, \"variational_params\": %ld, "
              "\"dtype\": \"float32\", \"threads\": %d, \"optimizer\": \"%s(%s)\", \"data\": \"%s\", "
              "\"train_rows\": %ld, \"test_rows\": %ld, ",
              json_escape(a.method).c_str(), json_escape(settings).c_str(), static_cast<long>(a.rank),
              json_escape(a.flow).c_str(), static_cast<long>(a.particles), json_escape(q.kind()).c_str(),
              static_cast<long>(nn.flat_size()), static_cast<long>(q.params().size()),
              a.threads, json_escape(a.optimizer).c_str(), lr, source.c_str(), static_cast<long>(train.rows()),
              static_cast<long>(test.rows()));
  print_fit("full", r,
            "Inference::fit only; the model's program and the family are compiled before, in the inference's "
            "constructor (warmup_seconds; wall_seconds is both)",
            true);
  std::printf("}\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "family_fit_timing: %s\n", e.what());
  return 1;
}
