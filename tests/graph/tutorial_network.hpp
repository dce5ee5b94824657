#pragma once
// The tutorial's network (PyMC3 "Variational Inference: Bayesian Neural Networks") as an
// engine graph, shared by the engine tests: x [N,2] data, y [N] data, w1 [2,5], w2 [5,5],
// w3 [5] parameters, z = tanh(tanh(x w1) w2) w3 the logits, p = sigmoid(z) and the
// Bernoulli log-likelihood sum(y log_sigmoid(z) + (1 - y) log_sigmoid(-z)).
#include <cmath>
#include <numbers>
#include <vector>

#include "elbo/graph.hpp"

namespace elbo::testing {

/// Two interleaved half-moons with deterministic wiggle: row i is class i % 2.
inline Tensor moons_x(DType dtype, int64_t rows) {
  Tensor t(dtype, {rows, 2});
  for (int64_t i = 0; i < rows; ++i) {
    double a = std::numbers::pi * static_cast<double>(i / 2) / static_cast<double>(rows / 2 + 1);
    double jx = 0.2 * std::sin(12.9898 * static_cast<double>(i) + 1.0);
    double jy = 0.2 * std::cos(78.233 * static_cast<double>(i) + 2.0);
    bool upper = i % 2 == 0;
    t.set(2 * i, (upper ? std::cos(a) : 1.0 - std::cos(a)) + jx);
    t.set(2 * i + 1, (upper ? std::sin(a) : 0.5 - std::sin(a)) + jy);
  }
  return t;
}

inline Tensor moons_y(DType dtype, int64_t rows) {
  Tensor t(dtype, {rows});
  for (int64_t i = 0; i < rows; ++i) t.set(i, static_cast<double>(i % 2));
  return t;
}

struct TutorialNetwork {
  Graph g;
  Expr x, y, w1, w2, w3, z, p, loglik;
};

inline TutorialNetwork tutorial_network(const Tensor& x, const Tensor& y) {
  TutorialNetwork n{Graph(x.dtype()), {}, {}, {}, {}, {}, {}, {}, {}};
  n.x = n.g.data("x", x);
  n.y = n.g.data("y", y);
  n.w1 = n.g.parameter("w_in_1", {2, 5});
  n.w2 = n.g.parameter("w_1_2", {5, 5});
  n.w3 = n.g.parameter("w_2_out", {5});
  n.z = matmul(tanh(matmul(tanh(matmul(n.x, n.w1)), n.w2)), n.w3);
  n.p = sigmoid(n.z);
  n.loglik = sum(n.y * log_sigmoid(n.z) + (1.0 - n.y) * log_sigmoid(-n.z));
  return n;
}

inline TutorialNetwork tutorial_network(DType dtype, int64_t rows = 500) {
  return tutorial_network(moons_x(dtype, rows), moons_y(dtype, rows));
}

/// Outputs and flat gradient of one forward_backward, all as doubles.
struct RunResult {
  std::vector<std::vector<double>> outputs;
  std::vector<double> grad;  // [S, D] row-major
};

/// Sets `theta` ([S, D] row-major, S = prog.samples()), runs forward_backward with
/// `seeds` and collects every output and the flat gradient.
inline RunResult run_program(Program& prog, const std::vector<double>& theta,
                             const std::vector<double>& seeds) {
  size_t n = static_cast<size_t>(prog.samples() * prog.flat_size());
  RunResult r;
  r.grad.resize(n);
  if (prog.dtype() == DType::f64) {
    prog.set_flat_params(theta.data());
    prog.forward_backward(seeds);
    prog.flat_gradient(r.grad.data());
  } else {
    std::vector<float> t(theta.begin(), theta.end()), g(n);
    prog.set_flat_params(t.data());
    prog.forward_backward(seeds);
    prog.flat_gradient(g.data());
    r.grad.assign(g.begin(), g.end());
  }
  for (int i = 0; i < prog.num_outputs(); ++i) r.outputs.push_back(prog.output(i).to_vector());
  return r;
}

/// S rows of D standard-normal parameter values, row-major [S, D].
inline std::vector<double> normal_params(int64_t S, int64_t D, uint64_t seed = 7) {
  std::vector<double> theta(static_cast<size_t>(S * D));
  Philox(seed).normal(theta.data(), S * D, 0, 0);
  return theta;
}

}  // namespace elbo::testing
