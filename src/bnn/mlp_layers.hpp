#pragma once
// A network built by build_mlp, evaluated natively at a flat point z: its layers' weights,
// a forward pass that keeps each layer's input and its activation's slope, and one step of
// a backward pass. What K-FAC's factors (kronecker_factors.cpp) and the probit predictive's
// Jacobians (probit_predictive.cpp) are computed from. Internal to the bnn layer.
#include <Eigen/Dense>
#include <span>
#include <string>
#include <vector>

#include "elbo/bnn/mlp.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/kronecker_normal.hpp"

namespace elbo::bnn_detail {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// One layer: its weights at z, [in (+1), out] with the bias as the last row, and their
/// place in the flat vector (a [rows, cols] block, row-major).
struct MlpLayer {
  KroneckerBlock block;
  RowMatrix w;
  bool bias = false;
};

/// The layers of `net` (built with `options` on `model`, `features` inputs and `outputs`
/// values in its last layer) at z. `who` names the caller in errors: InvalidArgument when a
/// weight is missing or misplaced.
std::vector<MlpLayer> mlp_layers(const Model& model, const Mlp& net, const MlpOptions& options, int64_t features,
                                 int64_t outputs, std::span<const double> z, const std::string& who);

struct MlpForward {
  std::vector<RowMatrix> inputs;  ///< layer l's input [N, in]
  std::vector<RowMatrix> slopes;  ///< the slope of hidden layer l's activation at its pre-activation [N, out]
  RowMatrix f;                    ///< the last layer [N, outputs]
};

/// The forward pass at inputs x [N, features].
MlpForward mlp_forward(const std::vector<MlpLayer>& layers, const RowMatrix& x, const std::string& activation);

/// Layer l's input with a last column of ones when it has a bias: [N, rows of its block].
RowMatrix layer_input(const MlpLayer& layer, const RowMatrix& input);

/// A backward step: v, the derivative of something in layer l's pre-activation [N, out],
/// to its derivative in layer l - 1's pre-activation (l >= 1).
RowMatrix back_to_previous_layer(const std::vector<MlpLayer>& layers, const MlpForward& forward, size_t l,
                                 const RowMatrix& v);

}  // namespace elbo::bnn_detail
