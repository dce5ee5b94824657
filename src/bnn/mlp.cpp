#include "elbo/bnn/mlp.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/graph/random.hpp"

namespace elbo {

Mlp build_mlp(Model& m, Expr x, Expr y, const MlpOptions& o, const Likelihood& likelihood) {
  if (o.activation != "tanh" && o.activation != "relu")
    throw InvalidArgument("build_mlp: argument 'activation' is '" + o.activation + "', but must be tanh or relu");
  if (!(o.prior_sd > 0))
    throw InvalidArgument("build_mlp: argument 'prior_sd' is " + std::to_string(o.prior_sd) + ", but must be positive");
  if (!(o.init_gain >= 0))
    throw InvalidArgument("build_mlp: argument 'init_gain' is " + std::to_string(o.init_gain) +
                          ", but must be >= 0");
  for (int64_t h : o.hidden)
    if (h < 1) throw InvalidArgument("build_mlp: a hidden layer has " + std::to_string(h) + " units, but needs >= 1");
  if (x.rank() != 2) throw ShapeError("build_mlp: x has shape " + shape_str(x.shape()) + ", expected [rows, features]");
  const int64_t outputs = likelihood.outputs();

  Mlp net;
  net.x = x;
  net.y = y;
  Philox rng(o.init_seed);
  uint64_t stream = 0;
  // Seeded N(0, init_scale^2) draws, scaled by min(1, init_gain / sqrt(fan_in)) for
  // weights and to 0 for biases when init_gain > 0.
  if (o.prior != "normal" && o.prior != "hierarchical")
    throw InvalidArgument("build_mlp: argument 'prior' is '" + o.prior + "', but must be normal or hierarchical");
  if (!(o.precision_shape > 0) || !(o.precision_rate > 0))
    throw InvalidArgument("build_mlp: arguments 'precision_shape' and 'precision_rate' must be positive");
  // The prior sd of a layer's weights and biases: a number, or lambda^-1/2 of the layer's
  // learned precision.
  Param layer_sd = o.prior_sd;
  auto start_layer = [&](const std::string& layer) {
    if (o.prior != "hierarchical") return;
    Expr lambda = m.gamma("precision_" + layer, o.precision_shape, o.precision_rate);
    layer_sd = pow(lambda, -0.5);
  };
  auto parameter = [&](const std::string& name, Shape shape, bool bias) {
    Tensor init = rng.normal(DType::f64, shape, 0x1417, stream++);
    double scale = 1.0;
    if (o.init_gain > 0)
      scale = bias ? 0.0 : std::min(1.0, o.init_gain / std::sqrt(static_cast<double>(shape[0])));
    for (int64_t i = 0; i < init.numel(); ++i) init.set(i, init[i] * o.init_scale * scale);
    net.weight_names.push_back(name);
    return m.normal(name, 0.0, layer_sd, shape, {.initial = init});
  };
  Expr h = x;
  int64_t width = x.shape()[1];
  size_t layers = o.hidden.size();
  for (size_t l = 0; l < layers; ++l) {
    std::string from = l == 0 ? "in" : std::to_string(l);
    start_layer(std::to_string(l + 1));
    Expr w = parameter("w_" + from + "_" + std::to_string(l + 1), {width, o.hidden[l]}, false);
    h = matmul(h, w);
    if (o.bias) h = h + parameter("b_" + std::to_string(l + 1), {o.hidden[l]}, true);
    h = o.activation == "tanh" ? tanh(h) : relu(h);
    width = o.hidden[l];
  }
  std::string last = layers == 0 ? "in" : std::to_string(layers);
  start_layer("out");
  // One output: [N] (a vector of weights); K outputs: [N, K].
  Shape w_out = outputs == 1 ? Shape{width} : Shape{width, outputs};
  Shape b_out = outputs == 1 ? Shape{} : Shape{outputs};
  net.logits = matmul(h, parameter("w_" + last + "_out", w_out, false));
  if (o.bias) net.logits = net.logits + parameter("b_out", b_out, true);
  LikelihoodNodes nodes = likelihood.observe(m, net.logits, y, ObservedOptions{.total_size = o.total_size});
  net.output = nodes.output;
  net.parameters = std::move(nodes.parameters);
  return net;
}

Mlp build_mlp(Model& m, Expr x, Expr y, const MlpOptions& o) {
  return build_mlp(m, x, y, o, *make_likelihood("bernoulli"));
}

}  // namespace elbo
