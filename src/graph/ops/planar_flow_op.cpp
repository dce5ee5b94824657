// planar_flow(x, u, w, b): one planar flow layer (Rezende & Mohamed 2015; PyMC's
// PlanarFlow) on an augmented state x = (z [D], c), with u, w [D] and a scalar b:
//   u_hat = u + (m - w.u) w / |w|^2,  m = softplus(w.u) - 1   (so that u_hat.w = m > -1:
//                                                              the layer stays invertible)
//   h     = tanh(w.z + b)
//   out   = (z + u_hat h,  c + log(1 + (1 - h^2) m)).
// c carries the log |det J| of the layers before, so a stack of planar layers is a chain
// of these nodes with nothing between them. The determinant 1 + (1 - h^2) m is positive
// for every h since m > -1 and 0 < 1 - h^2 <= 1, so no abs() is needed; it is computed as
// h^2 + (1 - h^2) softplus(w.u), the same number as a sum of non-negative terms, because
// 1 + (1 - h^2) m loses every digit when w.u << 0 (m rounds to -1) and h is small. Likewise
// u_hat's coefficient (m - w.u) / |w|^2 is (softplus(-w.u) - 1) / |w|^2, without the
// cancellation of softplus(w.u) - w.u for large w.u. w = 0 has no direction: u_hat, and
// the layer, are NaN there (as PyMC's); a random start never meets it.
//
// Why one op: written with elementwise ops the layer is about 25 small nodes, each a
// kernel call in the forward and the backward pass; on the tutorial's 40 weights those
// calls, not the arithmetic, set the cost of a flow's step (docs/PERFORMANCE.md,
// "Approximating families"). tests/graph/op_gradient_test.cpp holds this op to the same
// layer written with elementwise ops.
#include <cmath>

#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

template <class T>
T stable_softplus(T x) {
  return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));
}
template <class T>
T stable_sigmoid(T x) {
  return x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}

// The quantities forward and backward share.
template <class T>
struct PlanarTerms {
  T wu = 0, ww = 0, sp = 0, k = 0;  // sp = softplus(wu) = m + 1; u_hat = u + k w, k = (m - wu) / ww
  T h = 0;                          // tanh(w.z + b)
  T psi = 0, det = 0;               // 1 - h^2 (d h / d (w.z + b)) and h^2 + psi sp (= 1 + psi m)
};

template <class T>
PlanarTerms<T> planar_terms(const T* z, const T* u, const T* w, T b, int64_t d) {
  PlanarTerms<T> t;
  T wz = 0;
  for (int64_t i = 0; i < d; ++i) {
    t.wu += w[i] * u[i];
    t.ww += w[i] * w[i];
    wz += w[i] * z[i];
  }
  t.sp = stable_softplus(t.wu);
  t.k = (stable_softplus(-t.wu) - T(1)) / t.ww;  // softplus(x) - x = softplus(-x)
  t.h = std::tanh(wz + b);
  t.psi = T(1) - t.h * t.h;
  t.det = t.h * t.h + t.psi * t.sp;
  return t;
}

struct PlanarFlow {
  static constexpr std::string_view name = "planar_flow";
  static constexpr int arity = 4;
  static Shape infer(std::span<const Shape> in, const Attrs&) {
    if (in[0].size() != 1 || in[0][0] < 2)
      throw_shape_error(name, in, "do not fit (the state must be a vector (z, log det) of length D + 1 >= 2)");
    const int64_t d = in[0][0] - 1;
    if (in[1] != Shape{d} || in[2] != Shape{d} || !in[3].empty())
      throw_shape_error(name, in, "do not fit (u and w must be [D] for a state of length D + 1, b a scalar)");
    return in[0];
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    const int64_t d = (*k.out_shape)[0] - 1;
    const T *x = k.in[0], *u = k.in[1], *w = k.in[2];
    const PlanarTerms<T> t = planar_terms(x, u, w, k.in[3][0], d);
    for (int64_t i = 0; i < d; ++i) k.out[i] = x[i] + (u[i] + t.k * w[i]) * t.h;
    k.out[d] = x[d] + std::log(t.det);
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    const int64_t d = (*k.out_shape)[0] - 1;
    const T *x = k.in[0], *u = k.in[1], *w = k.in[2], *g = k.gout;
    const PlanarTerms<T> t = planar_terms(x, u, w, k.in[3][0], d);
    const T psi = t.psi, det = t.det, m = t.sp - T(1);
    const T gc = g[d];
    // Through h: the z part (g . u_hat) and the log det (d/dh log det = -2 h m / det).
    T g_uhat_dot_w = 0, gh = -T(2) * t.h * m / det * gc;
    for (int64_t i = 0; i < d; ++i) {
      gh += g[i] * (u[i] + t.k * w[i]);
      g_uhat_dot_w += g[i] * w[i];
    }
    const T ga = gh * psi;                        // d / d (w.z + b)
    const T g_k = t.h * g_uhat_dot_w;             // d / dk, since d out_z / d u_hat = h g
    const T g_m = gc * psi / det;                 // the log det's m
    // dm / dwu = sigmoid(wu); dk / dwu = (sigmoid(wu) - 1) / ww = -sigmoid(-wu) / ww.
    const T g_wu = -g_k * stable_sigmoid(-t.wu) / t.ww + g_m * stable_sigmoid(t.wu);
    const T g_ww = -g_k * t.k / t.ww;
    if (T* gx = k.gin[0]) {
      for (int64_t i = 0; i < d; ++i) gx[i] += g[i] + ga * w[i];
      gx[d] += gc;
    }
    if (T* gu = k.gin[1])
      for (int64_t i = 0; i < d; ++i) gu[i] += t.h * g[i] + g_wu * w[i];
    if (T* gw = k.gin[2])
      for (int64_t i = 0; i < d; ++i)
        gw[i] += ga * x[i] + t.h * g[i] * t.k + g_wu * u[i] + T(2) * g_ww * w[i];
    if (T* gb = k.gin[3]) gb[0] += ga;
  }
};

}  // namespace

namespace ops {
const OpDef planar_flow_op = make_op<PlanarFlow>();
}

Expr planar_flow(Expr x, Expr u, Expr w, Expr b) {
  const char* names[4] = {"x", "u", "w", "b"};
  Expr in[4] = {x, u, w, b};
  for (int i = 0; i < 4; ++i)
    if (!in[i].valid())
      throw InvalidArgument(std::string("planar_flow: argument '") + names[i] + "' is an empty expression");
  return detail::apply(ops::planar_flow_op, in);
}

}  // namespace elbo
