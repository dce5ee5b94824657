#include "elbo/bnn/predictive_draws.hpp"

#include <algorithm>

#include "elbo/bnn/likelihood.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/predict/posterior.hpp"

namespace elbo {

namespace {

// Values per predictor call: bounds memory on large inputs. Each chunk gets a new Predictor
// with the same seed, so every chunk sees the same posterior draws.
constexpr int64_t kChunkValues = int64_t{1} << 22;

// Runs `what` over the posterior's draws for the rows of `x`, in chunks of rows that keep
// each output below kChunkValues values: f(begin, m, out) for each chunk, out being
// [draws, m(, K)] for the m rows from `begin`.
template <class F>
void predict_in_chunks(const Model& model, const Approximation& q, const Mlp& net, const Tensor& x, const Expr& what,
                       int64_t draws, int64_t per_draw, uint64_t seed, int threads, F f) {
  const int64_t rows = x.dim(0);
  Posterior posterior(model, q);
  const int64_t chunk = std::max<int64_t>(1, kChunkValues / (draws * per_draw));
  for (int64_t begin = 0; begin < rows; begin += chunk) {
    const int64_t m = std::min(rows, begin + chunk) - begin;
    Predictor predict = posterior.predictor(what, {net.x}, {.threads = threads, .seed = seed});
    f(begin, m, predict({x.rows(begin, begin + m)}, draws));
  }
}

}  // namespace

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
                    [&](int64_t begin, int64_t m, const Tensor& out) {
                      for (int64_t s = 0; s < draws; ++s)
                        for (int64_t i = 0; i < m * K; ++i)
                          d.output[static_cast<size_t>((s * d.rows + begin) * K + i)] = out[s * m * K + i];
                    });
  // Same seed, first call: the same posterior draws as the outputs above.
  Posterior posterior(model, q);
  for (const Expr& p : net.parameters) {
    Tensor values = posterior.predictor(p, {}, {.threads = threads, .seed = seed})({}, draws);
    std::vector<double> v(static_cast<size_t>(draws));
    for (int64_t s = 0; s < draws; ++s) v[s] = values[s];
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
  predict_in_chunks(model, q, net, x, net.output, draws, K, seed, threads,
                    [&](int64_t begin, int64_t m, const Tensor& out) {
                      double* sum = &mean[static_cast<size_t>(begin * K)];
                      auto add = [&](const auto* p) {  // in the network's type, without a converted copy
                        for (int64_t s = 0; s < draws; ++s)
                          for (int64_t i = 0; i < m * K; ++i) sum[i] += p[s * m * K + i];
                      };
                      if (out.dtype() == DType::f32)
                        add(out.data<float>());
                      else
                        add(out.data<double>());
                      for (int64_t i = 0; i < m * K; ++i) sum[i] /= static_cast<double>(draws);
                    });
  return mean;
}

}  // namespace elbo
