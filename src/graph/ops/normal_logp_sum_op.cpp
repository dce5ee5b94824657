// sum_i log N(x_i | mu, sigma) for constant scalars mu and sigma (attrs reals = {mu, sigma,
// log sigma + log sqrt(2 pi)}):
//   -1/2 sum_i ((x_i - mu) / sigma)^2 - n (log sigma + log sqrt(2 pi)),
//   d/dx_i = -(x_i - mu) / sigma^2.
// One node instead of five (sub, div or mul, square, sum and the constant terms) for each
// weight matrix's prior in a Bayesian network; at 50 rows per step those nodes cost as
// much as the network (docs/PERFORMANCE.md, "Fused log densities").
#include <algorithm>
#include <cmath>
#include <string>

#include "../kernel_threads.hpp"
#include "../packets.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;

// Several inputs (one per weight matrix, all with the same prior) give the sum over all of
// them: the model's prior term in one node instead of one per variable and the adds
// between them (Model::varlogp).
struct NormalLogpSum {
  static constexpr std::string_view name = "normal_logp_sum";
  static constexpr int arity = -1;
  static constexpr bool backward_assigns = true;

  static Shape infer(std::span<const Shape>, const Attrs&) { return Shape{}; }

  // sum ((x - mu) / sigma)^2 over one input.
  template <class T>
  static T squares(const T* x, int64_t n, T mu, T inv) {
    constexpr int P = kPacket<T>;
    const int64_t cols = n / P, body = cols * P;
    // Partial sums by position (one per packet lane), combined in a fixed order: the result
    // does not depend on where x lies (bitwise reproducible, like sum()).
    Eigen::Array<T, P, 1> part = Eigen::Array<T, P, 1>::Zero();
    if (cols) part = ((Eigen::Map<const Packets<T>>(x, P, cols) - mu) * inv).square().rowwise().sum();
    T tail = 0;  // a scalar chain: lanes of `part` by a run-time index would stall (matmul_op.cpp)
    for (int64_t i = body; i < n; ++i) {
      const T z = (x[i] - mu) * inv;
      tail += z * z;
    }
    return part.sum() + tail;
  }

  // A large input (a network's weight matrix) in blocks, a number fixed by its size, run on
  // the threads a one-draw run lends its kernels (kernel_threads.hpp) or one after another:
  // at most kMaxBlocks of at least kBlock elements, boundaries at whole packets.
  static constexpr int64_t kBlock = int64_t{1} << 15;
  static constexpr int kMaxBlocks = 32;
  static int blocks_of(int64_t n) {
    return static_cast<int>(std::min<int64_t>(kMaxBlocks, n / kBlock));  // 0 or 1: one pass
  }
  template <class T>
  static int64_t edge(int64_t n, int blocks, int b) {
    return b == blocks ? n : n * b / blocks / kPacket<T> * kPacket<T>;
  }

  // squares() of a large input: each block's sum, the blocks' sums added in block order.
  template <class T>
  static T blocked_squares(const T* x, int64_t n, T mu, T inv) {
    const int blocks = blocks_of(n);
    if (blocks <= 1) return squares(x, n, mu, inv);
    struct Work {
      const T* x;
      int64_t n;
      T mu, inv;
      int blocks;
      T sums[kMaxBlocks];
    } w{x, n, mu, inv, blocks, {}};
    detail::run_kernel_blocks(blocks, [](void* c, int b) {
      Work& q = *static_cast<Work*>(c);
      const int64_t from = edge<T>(q.n, q.blocks, b), to = edge<T>(q.n, q.blocks, b + 1);
      q.sums[b] = squares(q.x + from, to - from, q.mu, q.inv);
    }, &w);
    T total = 0;
    for (int b = 0; b < blocks; ++b) total += w.sums[b];
    return total;
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    const T mu = static_cast<T>(k.attrs->reals[0]);
    const double sigma = k.attrs->reals[1];
    const T inv = static_cast<T>(1.0 / sigma);
    const double log_norm = k.attrs->reals[2];  // log(sigma) + log(sqrt(2 pi)), from normal_logp_sum()
    double total = 0;
    for (int a = 0; a < k.n_in; ++a) {
      const int64_t n = numel(*k.in_shape[a]);
      const T s = blocked_squares(k.in[a], n, mu, inv);
      total += static_cast<double>(
          static_cast<T>(-0.5 * static_cast<double>(s) - static_cast<double>(n) * log_norm));
    }
    k.out[0] = static_cast<T>(total);
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    const T mu = static_cast<T>(k.attrs->reals[0]);
    const T w = static_cast<T>(-1.0 / (k.attrs->reals[1] * k.attrs->reals[1])) * k.gout[0];
    for (int a = 0; a < k.n_in; ++a) {
      if (!k.gin[a]) continue;
      const int64_t n = numel(*k.in_shape[a]);
      struct Work {
        const T* x;
        T* g;
        int64_t n;
        T mu, w;
        bool fresh;
        int blocks;
      } q{k.in[a], k.gin[a], n, mu, w, ((k.gin_fresh >> a) & 1u) != 0, std::max(1, blocks_of(n))};
      // Elementwise: any blocks give the same values; large inputs take the forward's.
      detail::run_kernel_blocks(q.blocks, [](void* c, int b) {
        const Work& p = *static_cast<const Work*>(c);
        const int64_t from = edge<T>(p.n, p.blocks, b), to = edge<T>(p.n, p.blocks, b + 1);
        if (p.fresh)
          for (int64_t i = from; i < to; ++i) p.g[i] = p.w * (p.x[i] - p.mu);
        else
          for (int64_t i = from; i < to; ++i) p.g[i] += p.w * (p.x[i] - p.mu);
      }, &q);
    }
  }
};

}  // namespace

namespace ops {
const OpDef normal_logp_sum_op = make_op<NormalLogpSum>();
}

Expr normal_logp_sum(std::span<const Expr> xs, double mu, double sigma) {
  if (xs.empty() || static_cast<int>(xs.size()) > kMaxInputs)
    throw InvalidArgument("normal_logp_sum: " + std::to_string(xs.size()) + " operands given; 1 to " +
                          std::to_string(kMaxInputs) + " are allowed");
  for (const Expr& x : xs)
    if (!x.valid()) throw InvalidArgument("normal_logp_sum: an operand is an empty expression");
  if (!std::isfinite(mu))
    throw InvalidArgument("normal_logp_sum: argument 'mu' is " + format_number(mu) + ", but must be finite");
  if (!(sigma > 0) || !std::isfinite(sigma))
    throw InvalidArgument("normal_logp_sum: argument 'sigma' is " + format_number(sigma) +
                          ", but must be positive and finite");
  // The normalising term is computed here once, not at every run (a log per operand).
  return detail::apply(ops::normal_logp_sum_op, xs, Attrs{{}, {mu, sigma, std::log(sigma) + kLogSqrt2Pi}});
}

Expr normal_logp_sum(Expr x, double mu, double sigma) {
  Expr in[1] = {x};
  return normal_logp_sum(std::span<const Expr>(in, 1), mu, sigma);
}

}  // namespace elbo
