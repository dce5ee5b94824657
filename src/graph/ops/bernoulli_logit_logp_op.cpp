// log Bernoulli(y | sigmoid(l)) elementwise, for labels y in {0, 1}:
//   y l - softplus(l),   d/dl = y - sigmoid(l),   d/dy = l.
// One node instead of log_sigmoid(l) + (y - 1) l (three sampled nodes and one more for
// y - 1), and one pass over the rows each way: at 50 rows a step is mostly per-node cost
// (docs/PERFORMANCE.md, "Fused log densities").
#include <cmath>
#include <limits>
#include <string>

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

// The sum (attrs ints {0}) or mean (ints {1}, reals {scale}: the mean times scale) of
// BernoulliLogitLogp over all elements, a scalar: the observed variable's log-likelihood
// in one node, not four (the elementwise values, mean(), the total_size scaling, and their
// gradients) at every minibatch step. The scale is applied in T after the mean, as a
// multiplication by a constant node would: the same bits. The elements' values are
// accumulated per packet lane and the lanes summed in a fixed order, so the result does
// not depend on where the data lie (bitwise reproducible, like sum()).
struct BernoulliLogitLogpSum {
  static constexpr std::string_view name = "bernoulli_logit_logp_sum";
  static constexpr int arity = 2;
  static constexpr bool backward_assigns = true;

  static Shape infer(std::span<const Shape> in, const Attrs&) {
    if (in[0] != in[1]) throw_shape_error(name, in, "differ; the logits and the labels need the same shape");
    return Shape{};
  }

  static bool is_mean(const Attrs& a) { return !a.ints.empty() && a.ints[0] != 0; }
  template <class T>
  static T scale(const Attrs& a) {
    return a.reals.empty() ? T(1) : static_cast<T>(a.reals[0]);
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    constexpr int P = kPacket<T>;
    const int64_t n = numel(*k.in_shape[0]), cols = n / P, body = cols * P;
    using Lane = Eigen::Array<T, P, 1>;
    Lane part = Lane::Zero();
    if (cols)
      part = BernoulliLogitLogp::value(Eigen::Map<const Packets<T>>(k.in[0], P, cols),
                                       Eigen::Map<const Packets<T>>(k.in[1], P, cols))
                 .rowwise()
                 .sum();
    if (body < n) {  // the padded packet (padding 1: finite values), its padding lanes dropped
      Tail<T> l(k.in[0], n), y(k.in[1], n);
      alignas(64) T v[P];
      Eigen::Map<Packets<T>>(v, P, 1) = BernoulliLogitLogp::value(l.map(), y.map());
      for (int64_t i = 0; i < n - body; ++i) part[i] += v[i];
    }
    const T s = part.sum();
    if (!is_mean(*k.attrs)) {
      k.out[0] = s;
    } else {
      const T m = n ? s / static_cast<T>(n) : std::numeric_limits<T>::quiet_NaN();
      k.out[0] = k.attrs->reals.empty() ? m : m * scale<T>(*k.attrs);
    }
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    constexpr int P = kPacket<T>;
    const int64_t n = numel(*k.in_shape[0]);
    if (n == 0) return;
    const T gm = k.attrs->reals.empty() ? k.gout[0] : k.gout[0] * scale<T>(*k.attrs);
    const T w = is_mean(*k.attrs) ? gm / static_cast<T>(n) : k.gout[0];
    const int64_t cols = n / P, body = cols * P;
    auto write = [&](T* gin, bool fresh, const auto& d, int64_t at, int64_t count) {
      if (!gin) return;
      if (count == P * (count / P) && fresh) {
        Eigen::Map<Packets<T>>(gin + at, P, count / P) = w * d;
      } else if (count == P * (count / P)) {
        Eigen::Map<Packets<T>>(gin + at, P, count / P) += w * d;
      } else {
        alignas(64) T v[P];
        Eigen::Map<Packets<T>>(v, P, 1) = w * d;
        for (int64_t i = 0; i < count; ++i) gin[at + i] = fresh ? v[i] : gin[at + i] + v[i];
      }
    };
    if (cols) {
      Eigen::Map<const Packets<T>> l(k.in[0], P, cols), y(k.in[1], P, cols);
      write(k.gin[0], k.gin_fresh & 1u, y - l.logistic(), 0, body);
      write(k.gin[1], k.gin_fresh & 2u, l, 0, body);
    }
    if (body < n) {
      Tail<T> lt(k.in[0], n), yt(k.in[1], n);
      write(k.gin[0], k.gin_fresh & 1u, yt.map() - lt.map().logistic(), body, n - body);
      write(k.gin[1], k.gin_fresh & 2u, lt.map(), body, n - body);
    }
  }
};

}  // namespace

namespace ops {
const OpDef bernoulli_logit_logp_op = make_op<BernoulliLogitLogp>();
const OpDef bernoulli_logit_logp_sum_op = make_op<BernoulliLogitLogpSum>();
}

Expr bernoulli_logit_logp(Expr logit, Expr y) {
  if (!logit.valid() || !y.valid()) throw InvalidArgument("bernoulli_logit_logp: an operand is an empty expression");
  Expr in[2] = {logit, y};
  return detail::apply(ops::bernoulli_logit_logp_op, in);
}

namespace {
Expr logp_total(Expr logit, Expr y, bool mean, double scale) {
  if (!logit.valid() || !y.valid())
    throw InvalidArgument(std::string(mean ? "bernoulli_logit_logp_mean" : "bernoulli_logit_logp_sum") +
                          ": an operand is an empty expression");
  Expr in[2] = {logit, y};
  if (!std::isfinite(scale))
    throw InvalidArgument("bernoulli_logit_logp_mean: argument 'scale' is " + std::to_string(scale) +
                          ", but must be finite");
  Attrs attrs{{mean ? 1 : 0}, {}};
  if (scale != 1.0) attrs.reals.push_back(scale);
  return detail::apply(ops::bernoulli_logit_logp_sum_op, in, attrs);
}
}  // namespace

Expr bernoulli_logit_logp_sum(Expr logit, Expr y) { return logp_total(logit, y, false, 1.0); }
Expr bernoulli_logit_logp_mean(Expr logit, Expr y, double scale) { return logp_total(logit, y, true, scale); }

}  // namespace elbo
