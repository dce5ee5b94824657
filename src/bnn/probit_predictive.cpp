#include "elbo/bnn/probit_predictive.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "elbo/graph/error.hpp"
#include "mlp_layers.hpp"

namespace elbo {

using bnn_detail::MlpForward;
using bnn_detail::MlpLayer;
using bnn_detail::RowMatrix;

PredictiveDraws probit_predictive(const Model& model, const Mlp& net, const MlpOptions& options,
                                  const Likelihood& likelihood, const Approximation& q, const Tensor& x) {
  if (likelihood.class_names().empty() || !net.parameters.empty())
    throw InvalidArgument("probit_predictive: the probit approximation is for class labels, but the likelihood is " +
                          likelihood.description());
  const int64_t D = model.flat_size();
  if (q.dim() != D)
    throw InvalidArgument("probit_predictive: q has " + std::to_string(q.dim()) + " coordinates, but the model has " +
                          std::to_string(D));
  const int64_t N = x.dim(0), F = x.dim(1), K = likelihood.outputs();
  const std::vector<double> mu = q.mean(), xv = x.to_vector();
  const std::vector<MlpLayer> layers = bnn_detail::mlp_layers(model, net, options, F, K, mu, "probit_predictive");
  PredictiveDraws out;
  out.draws = 1;
  out.rows = N;
  out.outputs = K;
  out.output.resize(static_cast<size_t>(N * K));
  // Rows in chunks whose Jacobians ([rows, K, D]) stay within 64 MB.
  const int64_t chunk = std::max<int64_t>(1, (int64_t{8} << 20) / std::max<int64_t>(1, K * D));
  std::vector<double> jacobian, variance;
  for (int64_t r0 = 0; r0 < N; r0 += chunk) {
    const int64_t m = std::min(chunk, N - r0);
    const MlpForward forward = bnn_detail::mlp_forward(
        layers, Eigen::Map<const RowMatrix>(xv.data() + r0 * F, m, F), options.activation);
    // J [m, K, D]: per layer, the outer product of the layer's input and the derivative of
    // output k in its pre-activation (back from e_k at the last layer).
    jacobian.assign(static_cast<size_t>(m * K * D), 0.0);
    for (int64_t k = 0; k < K; ++k) {
      RowMatrix v = RowMatrix::Zero(m, K);
      v.col(k).setOnes();
      for (size_t l = layers.size(); l-- > 0;) {
        const KroneckerBlock& b = layers[l].block;
        const RowMatrix a = bnn_detail::layer_input(layers[l], forward.inputs[l]);
        for (int64_t n = 0; n < m; ++n) {
          double* row = jacobian.data() + (n * K + k) * D + b.offset;
          for (int64_t i = 0; i < b.rows; ++i)
            for (int64_t j = 0; j < b.cols; ++j) row[i * b.cols + j] = a(n, i) * v(n, j);
        }
        if (l > 0) v = bnn_detail::back_to_previous_layer(layers, forward, l, v);
      }
    }
    variance.resize(static_cast<size_t>(m * K));
    q.linear_variance(jacobian.data(), m * K, variance.data());
    for (int64_t n = 0; n < m; ++n)
      for (int64_t k = 0; k < K; ++k) {
        const double v = std::max(0.0, variance[static_cast<size_t>(n * K + k)]);
        out.output[static_cast<size_t>((r0 + n) * K + k)] =
            forward.f(n, k) / std::sqrt(1.0 + std::numbers::pi * v / 8.0);
      }
  }
  return out;
}

}  // namespace elbo
