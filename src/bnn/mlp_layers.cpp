#include "mlp_layers.hpp"

#include "elbo/graph/error.hpp"

namespace elbo::bnn_detail {

namespace {

const FreeVariable& variable(const Model& model, const std::string& name, const std::string& who) {
  for (const FreeVariable& v : model.free_variables())
    if (v.name == name) return v;
  throw InvalidArgument(who + ": the model has no weight '" + name + "'; was it built by build_mlp with these options?");
}

// h W (+ the bias row).
RowMatrix affine(const RowMatrix& h, const MlpLayer& layer) {
  const int64_t in = h.cols();
  RowMatrix z = h * layer.w.topRows(in);
  if (layer.bias) z.rowwise() += layer.w.row(in);
  return z;
}

}  // namespace

std::vector<MlpLayer> mlp_layers(const Model& model, const Mlp& net, const MlpOptions& o, int64_t features,
                                 int64_t outputs, std::span<const double> z, const std::string& who) {
  std::vector<MlpLayer> layers;
  size_t name = 0;
  int64_t in = features;
  const size_t count = o.hidden.size() + 1;
  for (size_t l = 0; l < count; ++l) {
    const int64_t out = l < o.hidden.size() ? o.hidden[l] : outputs;
    if (name >= net.weight_names.size()) throw InvalidArgument(who + ": the network has fewer weights than its options say");
    const FreeVariable& w = variable(model, net.weight_names[name++], who);
    MlpLayer layer;
    layer.bias = o.bias;
    layer.block = {w.offset, in + (o.bias ? 1 : 0), out};
    if (w.size != in * out) throw InvalidArgument(who + ": weight '" + w.name + "' has the wrong size");
    if (o.bias) {
      if (name >= net.weight_names.size()) throw InvalidArgument(who + ": the network has no bias after '" + w.name + "'");
      const FreeVariable& b = variable(model, net.weight_names[name++], who);
      if (b.offset != w.offset + in * out || b.size != out)
        throw InvalidArgument(who + ": bias '" + b.name + "' does not follow weight '" + w.name + "' in the flat vector");
    }
    layer.w = Eigen::Map<const RowMatrix>(z.data() + w.offset, layer.block.rows, out);
    layers.push_back(std::move(layer));
    in = out;
  }
  return layers;
}

MlpForward mlp_forward(const std::vector<MlpLayer>& layers, const RowMatrix& x, const std::string& activation) {
  MlpForward out;
  RowMatrix h = x;
  for (size_t l = 0; l + 1 < layers.size(); ++l) {
    const RowMatrix pre = affine(h, layers[l]);
    out.inputs.push_back(std::move(h));
    if (activation == "tanh") {
      h = pre.array().tanh();
      out.slopes.push_back((1.0 - h.array().square()).matrix());
    } else {
      h = pre.cwiseMax(0.0);
      out.slopes.push_back((pre.array() > 0.0).cast<double>().matrix());
    }
  }
  out.f = affine(h, layers.back());
  out.inputs.push_back(std::move(h));
  return out;
}

RowMatrix layer_input(const MlpLayer& layer, const RowMatrix& input) {
  RowMatrix a(input.rows(), layer.block.rows);
  a.leftCols(input.cols()) = input;
  if (layer.bias) a.col(a.cols() - 1).setOnes();
  return a;
}

RowMatrix back_to_previous_layer(const std::vector<MlpLayer>& layers, const MlpForward& forward, size_t l,
                                 const RowMatrix& v) {
  const int64_t in = forward.inputs[l].cols();
  return (v * layers[l].w.topRows(in).transpose()).cwiseProduct(forward.slopes[l - 1]);
}

}  // namespace elbo::bnn_detail
