#include "elbo/model/mlp.hpp"

#include "elbo/graph/random.hpp"

namespace elbo {

Mlp build_mlp(Model& m, Expr x, Expr y, const MlpOptions& o) {
  if (o.activation != "tanh" && o.activation != "relu")
    throw InvalidArgument("build_mlp: argument 'activation' is '" + o.activation + "', but must be tanh or relu");
  if (o.likelihood != "bernoulli" && o.likelihood != "categorical" && o.likelihood != "normal")
    throw InvalidArgument("build_mlp: argument 'likelihood' is '" + o.likelihood +
                          "', but must be bernoulli, categorical or normal");
  if (!(o.prior_sd > 0))
    throw InvalidArgument("build_mlp: argument 'prior_sd' is " + std::to_string(o.prior_sd) + ", but must be positive");
  for (int64_t h : o.hidden)
    if (h < 1) throw InvalidArgument("build_mlp: a hidden layer has " + std::to_string(h) + " units, but needs >= 1");
  if (o.likelihood == "categorical" && o.classes < 2)
    throw InvalidArgument("build_mlp: argument 'classes' is " + std::to_string(o.classes) + ", but must be >= 2");
  if (x.rank() != 2) throw ShapeError("build_mlp: x has shape " + shape_str(x.shape()) + ", expected [rows, features]");

  Mlp net;
  net.x = x;
  net.y = y;
  Philox rng(o.init_seed);
  uint64_t stream = 0;
  auto weight = [&](const std::string& name, Shape shape) {
    Tensor init = rng.normal(DType::f64, shape, 0x1417, stream++);
    for (int64_t i = 0; i < init.numel(); ++i) init.set(i, init[i] * o.init_scale);
    net.weight_names.push_back(name);
    return m.normal(name, 0.0, o.prior_sd, shape, {.initial = init});
  };
  Expr h = x;
  int64_t width = x.shape()[1];
  size_t layers = o.hidden.size();
  for (size_t l = 0; l < layers; ++l) {
    std::string from = l == 0 ? "in" : std::to_string(l);
    Expr w = weight("w_" + from + "_" + std::to_string(l + 1), {width, o.hidden[l]});
    h = matmul(h, w);
    if (o.bias) h = h + weight("b_" + std::to_string(l + 1), {o.hidden[l]});
    h = o.activation == "tanh" ? tanh(h) : relu(h);
    width = o.hidden[l];
  }
  std::string last = layers == 0 ? "in" : std::to_string(layers);
  ObservedOptions obs{.total_size = o.total_size};
  if (o.likelihood == "categorical") {
    net.logits = matmul(h, weight("w_" + last + "_out", {width, o.classes}));
    if (o.bias) net.logits = net.logits + weight("b_out", {o.classes});
    net.output = m.deterministic("probs", exp(net.logits - logsumexp(net.logits, 1, true)));
    m.categorical_logits("out", net.logits, y, obs);
  } else {
    net.logits = matmul(h, weight("w_" + last + "_out", {width}));
    if (o.bias) net.logits = net.logits + weight("b_out", {});
    if (o.likelihood == "bernoulli") {
      net.output = m.deterministic("p", sigmoid(net.logits));
      m.bernoulli_logit("out", net.logits, y, obs);
    } else {
      net.output = m.deterministic("mean", net.logits);
      net.noise_sd = m.half_normal("sigma", o.noise_prior_sd);
      m.normal_likelihood("out", net.logits, net.noise_sd, y, obs);
    }
  }
  return net;
}

}  // namespace elbo
