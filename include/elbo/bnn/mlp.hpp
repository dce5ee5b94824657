#pragma once
// A Bayesian multi-layer perceptron: N(0, prior_sd) priors on every weight (and bias), a
// tanh or relu hidden stack, and a likelihood (likelihood.hpp) on its last layer. With
// hidden {5, 5}, tanh, no biases and the Bernoulli likelihood it is the network of PyMC3's
// "Variational Inference: Bayesian Neural Networks" tutorial.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "elbo/bnn/likelihood.hpp"
#include "elbo/export.hpp"
#include "elbo/model/model.hpp"

ELBO_API_BEGIN
namespace elbo {

struct MlpOptions {
  std::vector<int64_t> hidden = {5, 5};
  std::string activation = "tanh";  ///< "tanh" or "relu"
  bool bias = false;                ///< biases on every layer
  double prior_sd = 1.0;            ///< sd of the N(0, sd) prior on every weight
  /// "normal": every weight and bias N(0, prior_sd). "hierarchical": each layer's weights
  /// and biases N(0, lambda^-1/2) with the layer's precision lambda ~ Gamma(shape, rate)
  /// (probabilistic backpropagation's prior, Hernandez-Lobato & Adams 2015), a free
  /// variable "precision_<layer>" that the fit learns with the weights.
  std::string prior = "normal";
  double precision_shape = 6.0, precision_rate = 6.0;
  double total_size = 0;            ///< rows of the full data set (minibatches), 0 = unset
  /// Initial means of the weights: seeded N(0, init_scale^2) draws, like the tutorial's
  /// testval=np.random.randn(...) (at all-zero means every hidden unit would start alike).
  uint64_t init_seed = 0;
  double init_scale = 1.0;
  /// > 0: a layer's weights start at those draws times min(1, init_gain / sqrt(fan_in))
  /// and biases at 0 (`elbo fit` uses 2: at LeCun's 1 / sqrt(fan_in) a 2-feature network
  /// starts nearly linear and mean-field ADVI stays on that plateau, 87 % on moons instead
  /// of 96 %, docs/CLI.md; the cap keeps wide inputs from saturating tanh). 0: the draws
  /// as they are, biases too.
  double init_gain = 0;
  /// Non-empty: the network is linearised in its weights around these values (one per
  /// weight and bias name, in their shapes): the last layer is f(x, w*) + J(x, w*) (w - w*),
  /// J the Jacobian in the weights (Immer, Korzepa & Bauer 2021; laplace-torch's "glm"
  /// predictive). The likelihood sits on that, so draws of w give the linearised
  /// network's predictive. Empty: the network itself.
  std::map<std::string, Tensor> linearize_at = {};
};

/// What build_mlp adds to the model.
struct Mlp {
  Expr x, y;
  Expr logits;  ///< the last layer, the likelihood's input: [N], or [N, K] for K outputs
  Expr output;  ///< the likelihood's output deterministic (LikelihoodNodes::output)
  std::vector<Expr> parameters;  ///< the likelihood's own parameters
  std::vector<std::string> weight_names;
};

/// Builds the network on data inputs x [N, F] and y [N] of `model`, with `likelihood`'s
/// observed node on its last layer of likelihood.outputs() units. Weights are named w_in_1,
/// w_1_2, ..., w_<L>_out (the tutorial's names), biases b_1, ..., b_out. Throws
/// InvalidArgument for bad options (naming the option and value).
Mlp build_mlp(Model& model, Expr x, Expr y, const MlpOptions& options, const Likelihood& likelihood);
/// The same with the Bernoulli likelihood (the tutorial's network).
Mlp build_mlp(Model& model, Expr x, Expr y, const MlpOptions& options);

}  // namespace elbo
ELBO_API_END
