#include "elbo/bnn/predictive_draws.hpp"

#include <algorithm>
#include <limits>

#include "elbo/bnn/likelihood.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/predict/posterior.hpp"

namespace elbo {

namespace {

// One predictor run's memory, bounded whatever the data, draws or network: its draws'
// parameters (noise, z and its float32 copy, about 24 bytes per weight and draw) within
// kDrawBytes, and the network's values (the inputs and every layer's units, a few copies
// of each, about 16 bytes per value in float32 and 32 in float64) and outputs within
// kActivationBytes. A group may grow to one draw per thread while that stays within
// kDrawBytesAllThreads (then the threads, which split the draws, all have work): 96 + 96 MB
// at most, whatever the rows: the CLI's blocks of rows (apps/elbo/predictive_blocks.hpp)
// add theirs to this (docs/CLI.md, 256 MB for predict and evaluate beyond the model).
constexpr int64_t kDrawBytes = int64_t{48} << 20, kActivationBytes = int64_t{96} << 20;
constexpr int64_t kDrawBytesAllThreads = int64_t{96} << 20;

// Draws per group for a q of this size, within the bounds above.
int64_t draws_per_group(const Approximation& q, int64_t draws, int threads) {
  const int64_t per_draw = std::max<int64_t>(1, 24 * q.noise_dim());
  const int64_t group = std::clamp<int64_t>(kDrawBytes / per_draw, 1, draws);
  const int64_t one_per_thread = std::min<int64_t>({draws, threads, kDrawBytesAllThreads / per_draw});
  return std::max(group, one_per_thread);
}

// The largest group any thread count gives: the chunks of rows are sized for it, so that
// they (and with them the products' shapes and the bits of every output) do not depend on
// the threads.
int64_t largest_group(const Approximation& q, int64_t draws) {
  return draws_per_group(q, draws, std::numeric_limits<int>::max());
}

// Values per row and draw the network's program holds: the input features and each
// layer's units (a weight matrix's columns).
int64_t values_per_row(const Model& model, int64_t columns) {
  int64_t units = columns;
  for (const FreeVariable& v : model.free_variables())
    if (v.shape.size() == 2) units += v.shape[1];
  return units;
}

int64_t columns_of(const Tensor& x) { return x.rank() == 2 ? x.dim(1) : 1; }

// Runs `what` over the posterior's draws for the rows of `x`, in groups of draws and chunks
// of rows within the memory bounds above: f(d0, g, begin, m, out) for each, out being
// [g, m(, K)] for draws d0 .. d0 + g - 1 and the m rows from `begin`. A draw is the same
// in every chunk and group (Predictor's first_draw), whatever the bounds make of them.
template <class F>
void predict_in_chunks(const Model& model, const Approximation& q, const Mlp& net, const Tensor& x, const Expr& what,
                       int64_t draws, int64_t per_draw, uint64_t seed, int threads, F f) {
  const int64_t rows = x.dim(0);
  const int64_t group = draws_per_group(q, draws, threads);
  const int64_t chunk = predictive_rows_per_run(model, q, columns_of(x), per_draw, draws);
  // One predictor, restarted at each group's first draw: compiled once, its buffers kept.
  Predictor predict = Posterior(model, q).predictor(what, {net.x}, {.threads = threads, .seed = seed});
  for (int64_t d0 = 0; d0 < draws; d0 += group) {
    const int64_t g = std::min(group, draws - d0);
    for (int64_t begin = 0; begin < rows; begin += chunk) {
      const int64_t m = std::min(rows, begin + chunk) - begin;
      predict.restart(d0);
      f(d0, g, begin, m, predict({x.rows(begin, begin + m)}, g));
    }
  }
}

}  // namespace

int64_t predictive_rows_per_run(const Model& model, const Approximation& q, int64_t columns, int64_t outputs,
                                int64_t draws) {
  const int64_t bytes_per_value = model.dtype() == DType::f32 ? 16 : 32;
  const int64_t row_draw_bytes = bytes_per_value * (values_per_row(model, columns) + outputs);
  return std::max<int64_t>(1, kActivationBytes / (largest_group(q, draws) * row_draw_bytes));
}

PredictiveDraws draw_predictive(const Model& model, const Approximation& q, const Mlp& net,
                                const Likelihood& likelihood, const Tensor& x, int64_t draws, uint64_t seed,
                                int threads, TargetScale scale) {
  PredictiveDraws d;
  d.draws = draws;
  d.rows = x.dim(0);
  d.outputs = likelihood.outputs();
  const int64_t K = d.outputs;
  d.output.resize(static_cast<size_t>(draws * d.rows * K));
  predict_in_chunks(model, q, net, x, net.logits, draws, K, seed, threads,
                    [&](int64_t d0, int64_t g, int64_t begin, int64_t m, const Tensor& out) {
                      for (int64_t s = 0; s < g; ++s)
                        for (int64_t i = 0; i < m * K; ++i)
                          d.output[static_cast<size_t>(((d0 + s) * d.rows + begin) * K + i)] = out[s * m * K + i];
                    });
  // Same seed, first call: the same posterior draws as the outputs above, in groups.
  Posterior posterior(model, q);
  const int64_t group = draws_per_group(q, draws, threads);
  for (const Expr& p : net.parameters) {
    std::vector<double> v(static_cast<size_t>(draws));
    Predictor predict = posterior.predictor(p, {}, {.threads = threads, .seed = seed});
    for (int64_t d0 = 0; d0 < draws; d0 += group) {
      const int64_t g = std::min(group, draws - d0);
      predict.restart(d0);
      Tensor values = predict({}, g);
      for (int64_t s = 0; s < g; ++s) v[static_cast<size_t>(d0 + s)] = values[s];
    }
    d.parameters.push_back(std::move(v));
  }
  likelihood.to_target_units(d, scale);
  return d;
}

std::vector<double> mean_output(const Model& model, const Approximation& q, const Mlp& net, const Tensor& x,
                                int64_t draws, uint64_t seed, int threads) {
  const int64_t rows = x.dim(0);
  const int64_t K = net.output.rank() == 2 ? net.output.shape()[1] : 1;
  std::vector<double> mean(static_cast<size_t>(rows * K), 0.0);
  // Sums in draw order for every row (groups come in order), then the division.
  predict_in_chunks(model, q, net, x, net.output, draws, K, seed, threads,
                    [&](int64_t, int64_t g, int64_t begin, int64_t m, const Tensor& out) {
                      double* sum = &mean[static_cast<size_t>(begin * K)];
                      auto add = [&](const auto* p) {  // in the network's type, without a converted copy
                        for (int64_t s = 0; s < g; ++s)
                          for (int64_t i = 0; i < m * K; ++i) sum[i] += p[s * m * K + i];
                      };
                      if (out.dtype() == DType::f32)
                        add(out.data<float>());
                      else
                        add(out.data<double>());
                    });
  for (double& v : mean) v /= static_cast<double>(draws);
  return mean;
}

}  // namespace elbo
