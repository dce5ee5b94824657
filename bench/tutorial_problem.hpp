#pragma once
// The tutorial's data and model for the benchmarks: 1000 points of make_moons(noise 0.2,
// seed 0), standardised, split half/half (500 training rows), and the 2-5-5-1 tanh network
// without biases and with a Bernoulli likelihood (build_mlp's defaults).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <type_traits>

#include "elbo/data.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/model.hpp"

namespace elbo::bench {

struct TutorialData {
  Tensor x_train, y_train, x_test, y_test;  // in the requested dtype
};

inline TutorialData tutorial_data(DType dtype) {
  auto moons = data::make_moons({.n_samples = 1000, .noise = 0.2, .seed = 0, .dtype = DType::f64});
  auto [train, test] = data::train_test_split(data::standardize(moons), {.test_size = 0.5});
  return {train.x.to(dtype), train.y.to(dtype), test.x.to(dtype), test.y.to(dtype)};
}

struct TutorialModel {
  std::unique_ptr<Model> model;
  Mlp net;
};

/// The network on data inputs x, y; total_size 0 leaves the likelihood unscaled.
inline TutorialModel tutorial_model(const Tensor& x, const Tensor& y, double total_size = 0) {
  TutorialModel t{std::make_unique<Model>(x.dtype()), {}};
  Expr xe = t.model->data("x", x), ye = t.model->data("y", y);
  t.net = build_mlp(*t.model, xe, ye, {.total_size = total_size});
  return t;
}

/// The tutorial's network on minibatches of `batch` rows drawn with replacement.
inline TutorialModel tutorial_minibatch_model(const Tensor& x, const Tensor& y, int64_t batch, uint64_t seed) {
  TutorialModel t{std::make_unique<Model>(x.dtype()), {}};
  auto in = t.model->minibatch({"x", "y"}, {x, y}, {.batch_size = batch, .seed = seed});
  t.net = build_mlp(*t.model, in[0], in[1], {.total_size = static_cast<double>(x.shape()[0])});
  return t;
}

/// "f32" or "f64", for benchmark names.
template <class T>
const char* dtype_tag() {
  return std::is_same_v<T, float> ? "f32" : "f64";
}

/// Tolerances of the agreement checks, relative to the size of the compared values. The
/// engine and the reference sum rows in different orders: float keeps 24 bits, double 53.
template <class T>
double rel_tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

/// Stops the benchmark binary when engine and reference disagree: a ratio between two
/// different computations would mean nothing.
inline void check_close(const std::string& what, double max_abs_diff, double tolerance) {
  std::printf("check %-52s max |engine - reference| = %.3g (tolerance %.1g)\n", what.c_str(), max_abs_diff,
              tolerance);
  if (!(max_abs_diff <= tolerance)) {
    std::fprintf(stderr, "FAILED: %s: engine and reference disagree\n", what.c_str());
    std::exit(1);
  }
}

}  // namespace elbo::bench
