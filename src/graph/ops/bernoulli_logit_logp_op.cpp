// log Bernoulli(y | sigmoid(l)) elementwise, for labels y in {0, 1}:
//   y l - softplus(l),   d/dl = y - sigmoid(l),   d/dy = l.
// One node instead of log_sigmoid(l) + (y - 1) l (three sampled nodes and one more for
// y - 1), and one pass over the rows each way: at 50 rows a step is mostly per-node cost
// (docs/PERFORMANCE.md, "Fused log densities").
#include "../packets.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

struct BernoulliLogitLogp {
  static constexpr std::string_view name = "bernoulli_logit_logp";
  static constexpr int arity = 2;
  static constexpr bool backward_assigns = true;

  static Shape infer(std::span<const Shape> in, const Attrs&) {
    if (in[0] != in[1]) throw_shape_error(name, in, "differ; the logits and the labels need the same shape");
    return in[0];
  }

  template <class X, class Y>
  static auto value(const X& l, const Y& y) {
    using S = typename X::Scalar;
    return y * l - (l.max(S(0)) + (-l.abs()).exp().log1p());
  }

  // Runs f(l, y, ...) over whole packets, then over one padded packet for the rest
  // (padding 1: inside the domain); every element takes the same path (packets.hpp).
  template <class T, class F>
  static void packets(int64_t n, const T* l, const T* y, F f) {
    constexpr int P = kPacket<T>;
    const int64_t cols = n / P, body = cols * P;
    if (cols) f(Eigen::Map<const Packets<T>>(l, P, cols), Eigen::Map<const Packets<T>>(y, P, cols), 0, cols);
    if (body < n) {
      Tail<T> lt(l, n), yt(y, n);
      f(lt.map(), yt.map(), body, 1);
    }
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    constexpr int P = kPacket<T>;
    const int64_t n = numel(*k.out_shape);
    packets<T>(n, k.in[0], k.in[1], [&](const auto& l, const auto& y, int64_t at, int64_t cols) {
      if (at + cols * P <= n) {
        Eigen::Map<Packets<T>>(k.out + at, P, cols) = value(l, y);
      } else {
        alignas(64) T v[P];
        Eigen::Map<Packets<T>>(v, P, 1) = value(l, y);
        std::copy(v, v + (n - at), k.out + at);
      }
    });
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    constexpr int P = kPacket<T>;
    const int64_t n = numel(*k.out_shape);
    packets<T>(n, k.in[0], k.in[1], [&](const auto& l, const auto& y, int64_t at, int64_t cols) {
      const bool whole = at + cols * P <= n;
      alignas(64) T g_tail[P] = {}, d_tail[P];
      if (!whole) std::copy(k.gout + at, k.gout + n, g_tail);
      Eigen::Map<const Packets<T>> g(whole ? k.gout + at : g_tail, P, cols);
      auto add = [&](T* gin, bool fresh, const auto& d) {
        if (!gin) return;
        if (whole && fresh) {
          Eigen::Map<Packets<T>>(gin + at, P, cols) = g * d;
        } else if (whole) {
          Eigen::Map<Packets<T>>(gin + at, P, cols) += g * d;
        } else {
          Eigen::Map<Packets<T>>(d_tail, P, 1) = g * d;
          for (int64_t i = 0; i < n - at; ++i) gin[at + i] = fresh ? d_tail[i] : gin[at + i] + d_tail[i];
        }
      };
      add(k.gin[0], k.gin_fresh & 1u, y - l.logistic());
      add(k.gin[1], k.gin_fresh & 2u, l);
    });
  }
};

}  // namespace

namespace ops {
const OpDef bernoulli_logit_logp_op = make_op<BernoulliLogitLogp>();
}

Expr bernoulli_logit_logp(Expr logit, Expr y) {
  if (!logit.valid() || !y.valid()) throw InvalidArgument("bernoulli_logit_logp: an operand is an empty expression");
  Expr in[2] = {logit, y};
  return Graph(logit.graph_state()).apply(ops::bernoulli_logit_logp_op, in);
}

}  // namespace elbo
