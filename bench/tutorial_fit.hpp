#pragma once
// What the peer-comparison timing programs share (tutorial_fit_timing.cpp,
// family_fit_timing.cpp): the tutorial's data (make_moons or run_peers.sh's CSVs), its
// network as apps/elbo/demo_tutorial.cpp builds it, the test accuracy of a fit, and the
// JSON record of one timed fit (the fields of bench/peers/common.py's fit_record).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include <elbo/elbo.hpp>

namespace elbo::bench {

struct TutorialFitData {
  data::Dataset train, test;
  std::string source;  // "elbo make_moons" or "csv"
};

/// Without files (both empty): 1000 points of elbo's make_moons (noise 0.2, `seed`),
/// standardised, split half/half, as the tutorial program does. With them: the CSVs
/// (columns x1, x2, y) that bench/peers/make_data.py writes, the very points the Python
/// peers read.
inline TutorialFitData tutorial_fit_data(const std::string& train_csv, const std::string& test_csv, uint64_t seed,
                                         DType dtype) {
  TutorialFitData d;
  if (train_csv.empty()) {
    auto moons = data::make_moons({.n_samples = 1000, .noise = 0.2, .seed = seed, .dtype = dtype});
    std::tie(d.train, d.test) = data::train_test_split(data::standardize(moons), {.test_size = 0.5, .seed = seed});
    d.source = "elbo make_moons";
  } else {
    d.train = data::split_target(data::read_csv(train_csv), "y", dtype);
    d.test = data::split_target(data::read_csv(test_csv), "y", dtype);
    d.source = "csv";
  }
  return d;
}

/// construct_nn of the tutorial (apps/elbo/demo_tutorial.cpp): 2 -> 5 -> 5 -> 1 tanh, no
/// biases, N(0, 1) priors with standard-normal initial means, a Bernoulli likelihood with
/// total_size. Returns the deterministic p.
inline Expr construct_nn(Model& m, Expr x, Expr y, int64_t total_size, uint64_t seed) {
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

/// `draws` draws from the approximation, label = mean probability > 0.5, against y.
inline double tutorial_accuracy(Predictor& predict, const Tensor& x, const Tensor& y, int64_t draws) {
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

/// The progress bar's "Average Loss": the mean of the last n losses.
inline double mean_of_last(const std::vector<double>& h, size_t n) {
  size_t k = std::min(n, h.size());
  double s = 0;
  for (size_t i = h.size() - k; i < h.size(); ++i) s += h[i];
  return k ? s / static_cast<double>(k) : 0;
}

struct FitResult {
  int64_t steps = 0;
  double seconds = 0, cpu_seconds = 0, accuracy = 0, final_loss = 0, average_loss = 0;
  /// Left out of `seconds` (building and compiling before the fit); 0 where not measured.
  /// The "wall_seconds" field (the whole call as a user sees it) is seconds + warmup_seconds.
  double warmup_seconds = 0;
  /// The compiled predictor's time for one call at the test rows (median of repeated
  /// calls, see median_predict_seconds); 0 where not measured.
  double predict_seconds = 0;
};

/// The median wall time of `repeats` calls predict({x}, draws), after one call that
/// allocates the predictor's buffers: the tutorial's sample_proba(X_test, 500).
inline double median_predict_seconds(Predictor& predict, const Tensor& x, int64_t draws, int repeats = 31) {
  using Clock = std::chrono::steady_clock;
  predict({x}, draws);
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    auto t0 = Clock::now();
    Tensor probs = predict({x}, draws);
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::nth_element(t.begin(), t.begin() + repeats / 2, t.end());
  return t[static_cast<size_t>(repeats / 2)];
}

/// `"name": {...}` with bench/peers/common.py's fit_record fields; `timing` says what the
/// clock covers (no quotes or backslashes in it).
inline void print_fit(const char* name, const FitResult& r, const char* timing, bool last) {
  char warmup[32] = "0";
  if (r.warmup_seconds != 0) std::snprintf(warmup, sizeof warmup, "%.6f", r.warmup_seconds);
  std::printf("\"%s\": {\"steps\": %ld, \"seconds\": %.6f, \"steps_per_s\": %.1f, \"us_per_step\": %.4f, "
              "\"cpu_seconds\": %.6f, \"cpu_us_per_step\": %.4f, \"test_accuracy\": %.4f, \"final_loss\": %.4f, "
              "\"average_loss_last_1000\": %.4f, "
              "\"wall_seconds\": %.6f, \"warmup_seconds\": %s, \"predict_seconds\": %.6f, \"timing\": \"%s\"}%s",
              name, static_cast<long>(r.steps), r.seconds, r.steps / r.seconds, 1e6 * r.seconds / r.steps,
              r.cpu_seconds, 1e6 * r.cpu_seconds / r.steps, r.accuracy, r.final_loss, r.average_loss,
              r.seconds + r.warmup_seconds, warmup, r.predict_seconds, timing, last ? "" : ", ");
}

}  // namespace elbo::bench
