#include "elbo/bnn/mlp.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

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
  // A layer's weights: the variable, and under linearisation its value at the expansion
  // point (a constant) and the difference from it.
  const bool linear = !o.linearize_at.empty();
  struct Weight {
    Expr value, at, delta;
  };
  auto weight = [&](const std::string& name, Shape shape, bool bias) {
    Weight w{parameter(name, shape, bias), {}, {}};
    if (!linear) return w;
    auto it = o.linearize_at.find(name);
    if (it == o.linearize_at.end())
      throw InvalidArgument("build_mlp: argument 'linearize_at' has no value for '" + name + "'");
    if (it->second.shape() != shape)
      throw ShapeError("build_mlp: argument 'linearize_at' gives '" + name + "' the shape " +
                       shape_str(it->second.shape()) + ", but the weight has " + shape_str(shape));
    w.at = m.graph().constant(it->second);
    w.delta = w.value - w.at;
    return w;
  };
  // The pre-activation h W (+ b) and, linearised, its tangent dz = dh W* + h* (W - W*) (+ b - b*)
  // with h, dh the layer's input at the expansion point and its tangent (dh invalid: 0).
  Expr h = x, dh;
  auto affine = [&](const Weight& w, const std::optional<Weight>& b, Expr* dz) {
    if (!linear) {
      Expr z = matmul(h, w.value);
      return b ? z + b->value : z;
    }
    Expr z = matmul(h, w.at);
    *dz = matmul(h, w.delta);
    if (dh.valid()) *dz = *dz + matmul(dh, w.at);
    if (b) {
      z = z + b->at;
      *dz = *dz + b->delta;
    }
    return z;
  };
  int64_t width = x.shape()[1];
  size_t layers = o.hidden.size();
  for (size_t l = 0; l < layers; ++l) {
    std::string from = l == 0 ? "in" : std::to_string(l);
    start_layer(std::to_string(l + 1));
    const Weight w = weight("w_" + from + "_" + std::to_string(l + 1), {width, o.hidden[l]}, false);
    std::optional<Weight> b;
    if (o.bias) b = weight("b_" + std::to_string(l + 1), {o.hidden[l]}, true);
    Expr dz;
    Expr z = affine(w, b, &dz);
    h = o.activation == "tanh" ? tanh(z) : relu(z);
    // The activation's slope at the expansion point times the tangent.
    if (linear) dh = o.activation == "tanh" ? (1.0 - square(h)) * dz : where(h, dz, m.graph().scalar(0.0));
    width = o.hidden[l];
  }
  std::string last = layers == 0 ? "in" : std::to_string(layers);
  start_layer("out");
  // One output: [N] (a vector of weights); K outputs: [N, K].
  Shape w_out = outputs == 1 ? Shape{width} : Shape{width, outputs};
  Shape b_out = outputs == 1 ? Shape{} : Shape{outputs};
  const Weight w = weight("w_" + last + "_out", w_out, false);
  std::optional<Weight> b;
  if (o.bias) b = weight("b_out", b_out, true);
  Expr dz;
  net.logits = affine(w, b, &dz);
  if (linear) {
    net.logits = net.logits + dz;
    for (const auto& [name, value] : o.linearize_at)
      if (std::find(net.weight_names.begin(), net.weight_names.end(), name) == net.weight_names.end())
        throw InvalidArgument("build_mlp: argument 'linearize_at' names '" + name + "', which is not a weight or bias");
  }
  LikelihoodNodes nodes = likelihood.observe(m, net.logits, y, ObservedOptions{.total_size = o.total_size});
  net.output = nodes.output;
  net.parameters = std::move(nodes.parameters);
  return net;
}

Mlp build_mlp(Model& m, Expr x, Expr y, const MlpOptions& o) {
  return build_mlp(m, x, y, o, *make_likelihood("bernoulli"));
}

}  // namespace elbo
