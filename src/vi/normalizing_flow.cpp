#include "elbo/vi/normalizing_flow.hpp"

#include <cmath>

#include "elbo/graph/error.hpp"
#include "elbo/graph/ops.hpp"
#include "elbo/graph/random.hpp"
#include "softplus.hpp"

namespace elbo {

namespace {

using detail::kHalfLog2Pi;

constexpr uint64_t kFlowInitSeed = 0x666c6f77ull;  // "flow": the fixed seed of random starts
constexpr double kSoftplusIsOne = 0.54132485461291810;  // softplus^-1(1) = log(e - 1)

// The parameter blocks of each layer, in stack order; layer k's blocks are named
// "<layer><k>.<param>", e.g. "planar2.u".
std::vector<ParameterBlock> flow_blocks(std::span<const double> mu, const std::vector<FlowLayer>& layers,
                                        double start_sigma) {
  const auto d = static_cast<int64_t>(mu.size());
  if (d < 1) throw InvalidArgument("NormalizingFlow: the model has no free parameters");
  if (start_sigma < 0 || !std::isfinite(start_sigma))
    throw InvalidArgument("NormalizingFlow: argument 'start_sigma' is " + std::to_string(start_sigma) +
                          ", but must be positive (or 0 for the default ln 2)");
  const double rho = start_sigma > 0 ? detail::softplus_inverse(start_sigma) : 0.0;
  size_t last_loc = layers.size();
  for (size_t k = 0; k < layers.size(); ++k)
    if (layers[k] == FlowLayer::loc) last_loc = k;
  const Philox rng(kFlowInitSeed);
  std::vector<ParameterBlock> blocks;
  const std::vector<double> zeros(static_cast<size_t>(d), 0.0);
  auto random_direction = [&](size_t k, double scale) {
    std::vector<double> v(static_cast<size_t>(d));
    rng.normal(v.data(), d, 0, static_cast<uint64_t>(k));
    for (double& x : v) x *= scale;
    return v;
  };
  for (size_t k = 0; k < layers.size(); ++k) {
    const std::string p = flow_layer_name(layers[k]) + std::to_string(k) + ".";
    switch (layers[k]) {
      case FlowLayer::loc:
        blocks.push_back({p + "loc", {d}, k == last_loc ? std::vector<double>(mu.begin(), mu.end()) : zeros, true});
        break;
      case FlowLayer::scale:
        blocks.push_back({p + "rho", {d}, std::vector<double>(static_cast<size_t>(d), rho), true});
        break;
      case FlowLayer::planar: {
        // u_hat = u + (m(w.u) - w.u) w / |w|^2 with m(x) = softplus(x) - 1 is 0 (the identity)
        // when u = log(e - 1) w / |w|^2.
        std::vector<double> w = random_direction(k, 1.0 / std::sqrt(static_cast<double>(d))), u(w.size());
        double ww = 0;
        for (double x : w) ww += x * x;
        for (size_t i = 0; i < w.size(); ++i) u[i] = kSoftplusIsOne * w[i] / ww;
        blocks.push_back({p + "u", {d}, u, false});
        blocks.push_back({p + "w", {d}, w, false});
        blocks.push_back({p + "b", {}, {0.0}, false});
        break;
      }
      case FlowLayer::radial:  // alpha = softplus(a), beta = softplus(b) - alpha: 0 at a = b = 0
        blocks.push_back({p + "z_ref", {d}, zeros, false});
        blocks.push_back({p + "a", {}, {0.0}, false});
        blocks.push_back({p + "b", {}, {0.0}, false});
        break;
      case FlowLayer::householder:
        blocks.push_back({p + "v", {d}, random_direction(k, 1.0), false});
        break;
      case FlowLayer::iaf: {
        // MADE weights small and random (a fixed seed per layer), biases 0 but the scale
        // head's, 2: sigma = sigmoid(2) = 0.88 starts each layer close to the identity
        // (Kingma et al.'s advice for the stable form).
        auto weights = [&](uint64_t which, int64_t rows, int64_t cols) {
          std::vector<double> w(static_cast<size_t>(rows * cols));
          rng.normal(w.data(), rows * cols, 1 + which, static_cast<uint64_t>(k));
          for (double& x : w) x *= 0.1 / std::sqrt(static_cast<double>(cols));
          return w;
        };
        blocks.push_back({p + "W1", {d, d}, weights(0, d, d), false});
        blocks.push_back({p + "b1", {d}, zeros, false});
        blocks.push_back({p + "W2", {d, d}, weights(1, d, d), false});
        blocks.push_back({p + "b2", {d}, zeros, false});
        blocks.push_back({p + "Wm", {d, d}, weights(2, d, d), false});
        blocks.push_back({p + "bm", {d}, zeros, false});
        blocks.push_back({p + "Ws", {d, d}, weights(3, d, d), false});
        blocks.push_back({p + "bs", {d}, std::vector<double>(static_cast<size_t>(d), 2.0), false});
        break;
      }
    }
  }
  return blocks;
}

int blocks_of(FlowLayer layer) {
  switch (layer) {
    case FlowLayer::planar:
    case FlowLayer::radial: return 3;
    case FlowLayer::iaf: return 8;
    default: return 1;
  }
}

// MADE's masks for D coordinates whose autoregressive order is `order` (order[i]: the
// position of coordinate i, 1..D), hidden units of degrees 1..D-1 in turn: a hidden unit
// of degree m sees coordinates at positions <= m, an output at position p sees hidden
// units of degree < p. So output i depends on the coordinates before it only, and the
// Jacobian of the layer is triangular in that order.
struct MadeMasks {
  Tensor in, hidden, out;  // [H, D], [H, H], [D, H] with H = D
};
MadeMasks made_masks(int64_t d, bool reversed) {
  std::vector<int64_t> order(static_cast<size_t>(d)), degree(static_cast<size_t>(d));
  for (int64_t i = 0; i < d; ++i) order[i] = reversed ? d - i : i + 1;
  for (int64_t k = 0; k < d; ++k) degree[k] = d > 1 ? k % (d - 1) + 1 : 0;  // D = 1: no input reaches a unit
  MadeMasks m{Tensor(DType::f64, {d, d}), Tensor(DType::f64, {d, d}), Tensor(DType::f64, {d, d})};
  for (int64_t k = 0; k < d; ++k)
    for (int64_t i = 0; i < d; ++i) {
      m.in.set(k * d + i, degree[k] >= order[i] ? 1.0 : 0.0);
      m.hidden.set(k * d + i, degree[k] >= degree[i] ? 1.0 : 0.0);
      m.out.set(k * d + i, order[k] > degree[i] && degree[i] > 0 ? 1.0 : 0.0);
    }
  return m;
}

bool has_inverse(FlowLayer layer) {
  return layer == FlowLayer::loc || layer == FlowLayer::scale || layer == FlowLayer::householder;
}

struct Step {
  Expr z, log_det;  // log_det invalid where it is 0
};

// One layer forward: z' and log |det dz'/dz|. iaf_index counts the iaf layers before
// this one: every other one runs in reversed order (NumPyro permutes between them).
Step layer_forward(Graph& g, FlowLayer layer, Expr z, std::span<const Expr> p, int64_t d, int iaf_index) {
  switch (layer) {
    case FlowLayer::iaf: {
      // The stable form: z' = sigma z + (1 - sigma) m, (m, s) = MADE(z), sigma = sigmoid(s),
      // log det = sum log sigma.
      const MadeMasks mk = made_masks(d, iaf_index % 2 == 1);
      Expr h1 = tanh(matmul(p[0] * g.constant(mk.in), z) + p[1]);
      Expr h2 = tanh(matmul(p[2] * g.constant(mk.hidden), h1) + p[3]);
      Expr mask_out = g.constant(mk.out);
      Expr m = matmul(p[4] * mask_out, h2) + p[5];
      Expr s = matmul(p[6] * mask_out, h2) + p[7];
      Expr sigma = sigmoid(s);
      return {sigma * z + (1.0 - sigma) * m, sum(log_sigmoid(s))};
    }
    case FlowLayer::loc: return {z + p[0], {}};
    case FlowLayer::scale: {
      Expr s = softplus(p[0]);
      return {z * s, sum(log(s))};
    }
    case FlowLayer::householder: return {z - 2.0 * p[0] * (sum(p[0] * z) / sum(square(p[0]))), {}};
    case FlowLayer::planar:  // one planar_flow node on the state (z, log det): build() makes it
      throw InternalError("NormalizingFlow: a planar layer is built by build(), not layer_forward()");
    case FlowLayer::radial: {
      Expr z_ref = p[0];
      Expr alpha = softplus(p[1]);
      Expr beta = softplus(p[2]) - alpha;
      Expr diff = z - z_ref;
      Expr r = sqrt(sum(square(diff)));
      Expr h = 1.0 / (alpha + r);
      Expr bh = beta * h;
      // det = (1 + beta h)^(d-1) (1 + beta h + beta h' r), h' = -h^2
      return {z + bh * diff, static_cast<double>(d - 1) * log1p(bh) + log1p(bh - bh * h * r)};
    }
  }
  throw InternalError("NormalizingFlow: unknown layer");
}

// One layer's inverse (loc, scale and householder only).
Expr layer_inverse(FlowLayer layer, Expr z, std::span<const Expr> p) {
  switch (layer) {
    case FlowLayer::loc: return z - p[0];
    case FlowLayer::scale: return z / softplus(p[0]);
    case FlowLayer::householder: return z - 2.0 * p[0] * (sum(p[0] * z) / sum(square(p[0])));
    default: throw InternalError("NormalizingFlow: no closed-form inverse for " + flow_layer_name(layer));
  }
}

}  // namespace

NormalizingFlow::NormalizingFlow(std::span<const double> mu, const std::string& formula, double start_sigma)
    : NormalizingFlow(mu, parse_flow_formula(formula), start_sigma) {}

NormalizingFlow::NormalizingFlow(std::span<const double> mu, std::vector<FlowLayer> layers, double start_sigma)
    : GraphFamily(static_cast<int64_t>(mu.size()), static_cast<int64_t>(mu.size()), flow_blocks(mu, layers, start_sigma)),
      layers_(std::move(layers)) {}

std::string NormalizingFlow::kind() const { return "flow:" + flow_formula(layers_); }

bool NormalizingFlow::separates_score_part() const {
  for (FlowLayer l : layers_)
    if (!has_inverse(l)) return false;
  return true;
}

FamilyExpressions NormalizingFlow::build(Graph& g, Expr eps, std::span<const Expr> theta,
                                         std::span<const Expr> direct) const {
  const int64_t d = dim();
  Expr z = eps, log_det;
  auto add_log_det = [&](Expr ld) { log_det = log_det.valid() ? log_det + ld : ld; };
  // A run of planar layers works on the state (z, log det of the run so far): one
  // planar_flow node a layer (src/graph/ops/planar_flow_op.cpp).
  Expr state;
  auto end_planar_run = [&] {
    if (!state.valid()) return;
    z = slice(state, 0, 0, d);
    add_log_det(sum(slice(state, 0, d, d + 1)));
    state = Expr();
  };
  std::vector<size_t> first;  // each layer's first block
  size_t b = 0;
  int iafs = 0;
  for (FlowLayer layer : layers_) {
    first.push_back(b);
    auto p = theta.subspan(b, static_cast<size_t>(blocks_of(layer)));
    b += static_cast<size_t>(blocks_of(layer));
    if (layer == FlowLayer::planar) {
      if (!state.valid()) state = concat({z, g.constant(Tensor(g.dtype(), {1}))}, 0);
      state = planar_flow(state, p[0], p[1], p[2]);
      continue;
    }
    end_planar_run();
    Step st = layer_forward(g, layer, z, p, d, iafs);
    if (layer == FlowLayer::iaf) ++iafs;
    z = st.z;
    if (st.log_det.valid()) add_log_det(st.log_det);
  }
  end_planar_run();
  Expr base = eps;
  if (separates_score_part()) {
    // log q at the draw z itself: the base point and the log-determinants from the direct
    // (cost_part_grad_scale-scaled) parameters.
    base = z;
    log_det = Expr();
    for (size_t k = layers_.size(); k-- > 0;) {
      auto p = direct.subspan(first[k], static_cast<size_t>(blocks_of(layers_[k])));
      base = layer_inverse(layers_[k], base, p);
      if (layers_[k] == FlowLayer::scale) {
        Expr ld = sum(log(softplus(p[0])));
        log_det = log_det.valid() ? log_det + ld : ld;
      }
    }
  }
  Expr logq = sum(-0.5 * square(base)) - static_cast<double>(d) * kHalfLog2Pi;
  if (log_det.valid()) logq = logq - log_det;
  return {z, logq};
}

}  // namespace elbo
