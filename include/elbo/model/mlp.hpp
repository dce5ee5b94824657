#pragma once
// A Bayesian multi-layer perceptron: N(0, prior_sd) priors on every weight (and bias),
// a tanh or relu hidden stack, and a Bernoulli, Categorical or Normal likelihood. With
// hidden {5, 5}, tanh, no biases and a Bernoulli likelihood it is the network of PyMC3's
// "Variational Inference: Bayesian Neural Networks" tutorial.
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/model/model.hpp"

namespace elbo {

struct MlpOptions {
  std::vector<int64_t> hidden = {5, 5};
  std::string activation = "tanh";       ///< "tanh" or "relu"
  bool bias = false;                     ///< biases on every layer
  double prior_sd = 1.0;                 ///< sd of the N(0, sd) prior on every weight
  std::string likelihood = "bernoulli";  ///< "bernoulli", "categorical" or "normal"
  int64_t classes = 2;                   ///< K for "categorical"
  double total_size = 0;                 ///< rows of the full data set (minibatches), 0 = unset
  /// Initial means of the weights: seeded N(0, init_scale^2) draws, like the tutorial's
  /// testval=np.random.randn(...) (at all-zero means every hidden unit would start alike).
  uint64_t init_seed = 0;
  double init_scale = 1.0;
  double noise_prior_sd = 1.0;  ///< "normal": HalfNormal prior on the noise sd
};

/// What build_mlp adds to the model.
struct Mlp {
  Expr x, y;
  Expr logits;  ///< pre-likelihood output: [N] (bernoulli, normal) or [N, K] (categorical)
  /// "p" for bernoulli ([N]), "probs" for categorical ([N, K]), "mean" for normal ([N]);
  /// registered as a deterministic under that name.
  Expr output;
  Expr noise_sd;  ///< "normal" only: the likelihood's sd (free variable "sigma")
  std::vector<std::string> weight_names;
};

/// Builds the network on data inputs x [N, F] and y [N] of `model`. Weights are named
/// w_in_1, w_1_2, ..., w_<L>_out (the tutorial's names), biases b_1, ..., b_out.
/// Throws InvalidArgument for bad options (naming the option and value).
Mlp build_mlp(Model& model, Expr x, Expr y, const MlpOptions& options);

}  // namespace elbo
