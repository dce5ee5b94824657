#include "elbo/bnn/kronecker_factors.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "elbo/bnn/predictive_draws.hpp"
#include "elbo/graph/error.hpp"
#include "elbo/vi/mean_field.hpp"
#include "mlp_layers.hpp"

namespace elbo {

namespace {

using bnn_detail::MlpForward;
using bnn_detail::MlpLayer;
using bnn_detail::RowMatrix;

// Lambda_n's square-root factors: for each row n a K x K matrix R_n with R_n^T R_n = Lambda_n,
// the Hessian of -log p(y_n | f_n) in f_n by central differences of the likelihood's log
// density, its negative eigenvalues set to 0. Returned [N, K, K] row-major.
std::vector<double> curvature_roots(const Likelihood& likelihood, const PredictiveDraws& at, std::span<const double> y) {
  const int64_t N = at.rows, K = at.outputs;
  std::vector<double> step(at.output.size());
  for (size_t i = 0; i < step.size(); ++i) step[i] = 1e-4 * std::max(1.0, std::fabs(at.output[i]));
  // log p at f + sum of the given signed steps on outputs k and l (l < 0: only k).
  auto logp = [&](int64_t k, double sk, int64_t l, double sl) {
    PredictiveDraws moved = at;
    for (int64_t n = 0; n < N; ++n) {
      moved.output[static_cast<size_t>(n * K + k)] += sk * step[static_cast<size_t>(n * K + k)];
      if (l >= 0) moved.output[static_cast<size_t>(n * K + l)] += sl * step[static_cast<size_t>(n * K + l)];
    }
    return likelihood.log_density(moved, y);
  };
  std::vector<double> hess(static_cast<size_t>(N * K * K));
  const std::vector<double> centre = likelihood.log_density(at, y);
  for (int64_t k = 0; k < K; ++k) {
    const std::vector<double> up = logp(k, 1, -1, 0), down = logp(k, -1, -1, 0);
    for (int64_t n = 0; n < N; ++n) {
      const double h = step[static_cast<size_t>(n * K + k)];
      hess[static_cast<size_t>((n * K + k) * K + k)] = -(up[n] - 2 * centre[n] + down[n]) / (h * h);
    }
    for (int64_t l = 0; l < k; ++l) {
      const std::vector<double> pp = logp(k, 1, l, 1), pm = logp(k, 1, l, -1), mp = logp(k, -1, l, 1),
                                mm = logp(k, -1, l, -1);
      for (int64_t n = 0; n < N; ++n) {
        const double hk = step[static_cast<size_t>(n * K + k)], hl = step[static_cast<size_t>(n * K + l)];
        const double v = -(pp[n] - pm[n] - mp[n] + mm[n]) / (4 * hk * hl);
        hess[static_cast<size_t>((n * K + k) * K + l)] = v;
        hess[static_cast<size_t>((n * K + l) * K + k)] = v;
      }
    }
  }
  std::vector<double> roots(hess.size());
  for (int64_t n = 0; n < N; ++n) {
    const Eigen::Map<const RowMatrix> lambda(hess.data() + n * K * K, K, K);
    if (!lambda.allFinite())
      throw NumericalError("mlp_kronecker_factors: the likelihood's curvature is not finite at data row " +
                           std::to_string(n + 1));
    const Eigen::SelfAdjointEigenSolver<RowMatrix> eig(lambda);
    const Eigen::VectorXd root = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
    Eigen::Map<RowMatrix>(roots.data() + n * K * K, K, K) = root.asDiagonal() * eig.eigenvectors().transpose();
  }
  return roots;
}

}  // namespace

std::vector<KroneckerFactors> mlp_kronecker_factors(const Model& model, const Mlp& net, const MlpOptions& o,
                                                    const Likelihood& likelihood, std::span<const double> z,
                                                    int threads) {
  if (model.dtype() != DType::f64)
    throw InvalidArgument("mlp_kronecker_factors: the model is float32; the curvature's differences need float64");
  if (static_cast<int64_t>(z.size()) != model.flat_size())
    throw InvalidArgument("mlp_kronecker_factors: argument 'z' has " + std::to_string(z.size()) +
                          " values, but the model has " + std::to_string(model.flat_size()));
  const Tensor* x_value = net.x.value();
  const Tensor* y_value = net.y.value();
  if (!x_value || !y_value) throw InvalidArgument("mlp_kronecker_factors: the network's x and y are not data inputs");
  const int64_t N = x_value->dim(0), F = x_value->dim(1), K = likelihood.outputs();
  const std::vector<double> xv = x_value->to_vector(), y = y_value->to_vector();
  const std::vector<MlpLayer> layers = bnn_detail::mlp_layers(model, net, o, F, K, z, "mlp_kronecker_factors");
  const MlpForward forward =
      bnn_detail::mlp_forward(layers, Eigen::Map<const RowMatrix>(xv.data(), N, F), o.activation);
  const RowMatrix& f = forward.f;

  // The network's own program at z (a point q) gives f again, as a check that the layers
  // were read right, and the likelihood's parameters there.
  const MeanField point(z, std::vector<double>(z.size(), 1e-300));
  const PredictiveDraws at = draw_predictive(model, point, net, likelihood, *x_value, 1, 0, threads);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const double program = at.output[static_cast<size_t>(n * K + k)], native = f(n, k);
      if (!(std::fabs(program - native) <= 1e-8 * (1 + std::fabs(native))))
        throw NumericalError("mlp_kronecker_factors: the network's output at data row " + std::to_string(n + 1) +
                             " is " + std::to_string(program) + ", but the layers read from z give " +
                             std::to_string(native));
    }
  const std::vector<double> roots = curvature_roots(likelihood, at, y);

  std::vector<KroneckerFactors> out(layers.size());
  for (size_t l = 0; l < layers.size(); ++l) {
    out[l].block = layers[l].block;
    const RowMatrix a = bnn_detail::layer_input(layers[l], forward.inputs[l]);
    const RowMatrix A = a.transpose() * a;
    out[l].a.assign(A.data(), A.data() + A.size());
    out[l].g.assign(static_cast<size_t>(layers[l].block.cols * layers[l].block.cols), 0.0);
  }
  // Backward, once per row of R_n: v starts as row r of R_n at the last layer and goes
  // back through the weights and the activations' slopes; G gets v^T v at every layer.
  for (int64_t r = 0; r < K; ++r) {
    RowMatrix v(N, K);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k) v(n, k) = roots[static_cast<size_t>((n * K + r) * K + k)];
    for (size_t l = layers.size(); l-- > 0;) {
      const RowMatrix g = v.transpose() * v;
      for (int64_t i = 0; i < g.size(); ++i) out[l].g[static_cast<size_t>(i)] += g.data()[i] / static_cast<double>(N);
      if (l == 0) break;
      v = bnn_detail::back_to_previous_layer(layers, forward, l, v);
    }
  }
  return out;
}

}  // namespace elbo
