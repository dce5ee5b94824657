// The sum (attrs ints {0}) or mean (ints {1}, reals {scale}: the mean times scale) over
// rows of log Categorical(y | softmax(l)) for logits l [rows, K] and class labels y [rows]:
//   l[y] - logsumexp(l),   d/dl = onehot(y) - softmax(l),   no gradient to y.
// One node for a categorical network's log-likelihood, instead of the table
// l - logsumexp(l), the one-hot mask (reshape, subtract, abs, relu) and where() and sum()
// over [rows, K] (docs/PERFORMANCE.md, "Realistic sizes"). A label that is not one of
// 0 .. K-1 gives NaN (the model checks observed labels against the support first).
// Row values are accumulated in P lanes (row r in lane r mod P) and the lanes summed in a
// fixed order: bitwise reproducible wherever the data lie.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "../packets.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

struct CategoricalLogitLogpSum {
  static constexpr std::string_view name = "categorical_logit_logp_sum";
  static constexpr int arity = 2;
  static constexpr bool backward_assigns = true;

  static Shape infer(std::span<const Shape> in, const Attrs&) {
    const Shape& l = in[0];
    if (l.size() != 2 || in[1].size() != 1 || l[0] != in[1][0])
      throw_shape_error(name, in, "do not fit; the logits need to be [rows, K] for labels [rows]");
    if (l[1] < 1) throw_shape_error(name, in, "do not fit; the logits need at least one class (K >= 1)");
    return Shape{};
  }

  static bool is_mean(const Attrs& a) { return !a.ints.empty() && a.ints[0] != 0; }
  template <class T>
  static T scale(const Attrs& a) {
    return a.reals.empty() ? T(1) : static_cast<T>(a.reals[0]);
  }

  // The label as a class index, or -1 when it is not one of 0 .. K-1.
  template <class T>
  static int64_t label_index(T y, int64_t K) {
    if (!(y >= T(0)) || !(y < static_cast<T>(K)) || y != std::floor(y)) return -1;
    return static_cast<int64_t>(y);
  }

  // Rows are taken kBlock at a time. Inside a program a [rows, K] matrix is stored class by
  // class (layout.hpp: class k's logits are contiguous over the rows), so each class is a
  // contiguous segment of the block and the exponentials run on packets across rows.
  static constexpr int64_t kBlock = 64;
  template <class T>
  using Segment = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

  // logsumexp of rows r0 .. r0 + n - 1 into lse[0 .. n): max + log(sum exp(l - max)).
  template <class T>
  static void block_lse(const T* l, int64_t rows, int64_t K, int64_t r0, int64_t n, T* lse) {
    Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> m(lse, n);
    alignas(64) T sum_buf[kBlock];
    Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> s(sum_buf, n);
    m = Segment<T>(l + r0, n);
    for (int64_t k = 1; k < K; ++k) m = m.max(Segment<T>(l + k * rows + r0, n));
    s.setZero();
    for (int64_t k = 0; k < K; ++k) s += (Segment<T>(l + k * rows + r0, n) - m).exp();
    // +inf or NaN maxima give inf - inf or NaN, as the table form does.
    for (int64_t i = 0; i < n; ++i) lse[i] = std::isfinite(lse[i]) ? lse[i] + std::log(sum_buf[i]) : lse[i];
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    constexpr int P = kPacket<T>;
    const int64_t rows = (*k.in_shape[0])[0], K = (*k.in_shape[0])[1];
    const T* l = k.in[0];
    T lanes[P] = {};
    alignas(64) T lse[kBlock];
    for (int64_t r0 = 0; r0 < rows; r0 += kBlock) {
      const int64_t n = std::min(kBlock, rows - r0);
      block_lse(l, rows, K, r0, n, lse);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t r = r0 + i, y = label_index(k.in[1][r], K);
        lanes[r % P] += y < 0 ? std::numeric_limits<T>::quiet_NaN() : l[y * rows + r] - lse[i];
      }
    }
    T s = 0;
    for (int j = 0; j < P; ++j) s += lanes[j];
    if (!is_mean(*k.attrs)) {
      k.out[0] = s;
    } else {
      const T m = rows ? s / static_cast<T>(rows) : std::numeric_limits<T>::quiet_NaN();
      k.out[0] = k.attrs->reals.empty() ? m : m * scale<T>(*k.attrs);
    }
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    const int64_t rows = (*k.in_shape[0])[0], K = (*k.in_shape[0])[1];
    if (T* gy = k.gin[1]; gy && (k.gin_fresh & 2u))
      for (int64_t r = 0; r < rows; ++r) gy[r] = 0;
    T* gl = k.gin[0];
    if (!gl || rows == 0) return;
    const T gm = k.attrs->reals.empty() ? k.gout[0] : k.gout[0] * scale<T>(*k.attrs);
    const T w = is_mean(*k.attrs) ? gm / static_cast<T>(rows) : k.gout[0];
    const bool fresh = k.gin_fresh & 1u;
    const T* l = k.in[0];
    alignas(64) T lse[kBlock];
    alignas(64) T e_buf[kBlock];
    for (int64_t r0 = 0; r0 < rows; r0 += kBlock) {
      const int64_t n = std::min(kBlock, rows - r0);
      block_lse(l, rows, K, r0, n, lse);
      Segment<T> lse_seg(lse, n);
      // The exponentials go to an aligned local buffer first: Eigen splits an expression into
      // scalar and packet parts by the destination's alignment, and its scalar and packet exp
      // differ in the last bits, so writing exp straight into the gradient buffer would make
      // the result depend on where that buffer lies (different per draw and per thread).
      Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> e(e_buf, n);
      for (int64_t c = 0; c < K; ++c) {
        Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> g(gl + c * rows + r0, n);
        e = (Segment<T>(l + c * rows + r0, n) - lse_seg).exp();
        if (fresh)
          g = -w * e;
        else
          g -= w * e;
      }
      for (int64_t i = 0; i < n; ++i) {
        const int64_t r = r0 + i, y = label_index(k.in[1][r], K);
        if (y >= 0) {
          gl[y * rows + r] += w;
        } else {
          for (int64_t c = 0; c < K; ++c) gl[c * rows + r] = std::numeric_limits<T>::quiet_NaN();
        }
      }
    }
  }
};

}  // namespace

namespace ops {
const OpDef categorical_logit_logp_sum_op = make_op<CategoricalLogitLogpSum>();
}

namespace {
Expr categorical_total(Expr logits, Expr labels, bool mean, double scale) {
  const char* fn = mean ? "categorical_logit_logp_mean" : "categorical_logit_logp_sum";
  if (!logits.valid() || !labels.valid()) throw InvalidArgument(std::string(fn) + ": an operand is an empty expression");
  if (!std::isfinite(scale))
    throw InvalidArgument(std::string(fn) + ": argument 'scale' is " + std::to_string(scale) + ", but must be finite");
  Expr in[2] = {logits, labels};
  Attrs attrs{{mean ? 1 : 0}, {}};
  if (scale != 1.0) attrs.reals.push_back(scale);
  return detail::apply(ops::categorical_logit_logp_sum_op, in, attrs);
}
}  // namespace

Expr categorical_logit_logp_sum(Expr logits, Expr labels) { return categorical_total(logits, labels, false, 1.0); }
Expr categorical_logit_logp_mean(Expr logits, Expr labels, double scale) {
  return categorical_total(logits, labels, true, scale);
}

}  // namespace elbo
