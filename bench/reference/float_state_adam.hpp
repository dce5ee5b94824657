#pragma once
// The fused step's update (src/vi/mean_field_adam_step.cpp, update_range), the same
// expressions in the same order, with its arithmetic and its state in float32 or double.
// Not the library's: a measurement of what a float32 variational state would save on the
// per-parameter work (bench/fused_update_precision_bench.cpp, docs/PERFORMANCE.md "What a
// float32 variational state would save").
#include <cmath>
#include <cstdint>

namespace elbo::bench {

// Adam's constants in the arithmetic's type A.
template <class A>
struct AdamConstants {
  A w, beta, scale, a;       // a = beta (scale - 1)
  A b1, b2, step, adam_eps;  // Adam's; step = the bias-corrected rate
};

// n parameters: the one-draw gradient of mu and rho from eps, the float gradient g of
// log p at z, and sigma's terms inv = 1 / sigma, ds = sigmoid(rho); Adam's moments in place,
// the new mu and rho into next_mu and next_rho. The arithmetic is in A and the state (mu,
// rho, the moments) is stored as S, each value converted to A when read and to S when
// written:
//   A = float,  S = float:  a float32 state;
//   A = float,  S = double: float arithmetic on the double state, which measures the
//                           arithmetic without the bytes;
//   A = double, S = float:  the engine's double arithmetic on a float32 state, which
//                           measures the bytes without the arithmetic.
template <class A, class S>
void adam_update(const AdamConstants<A>& c, int64_t n, const float* __restrict eps, const float* __restrict g,
                 const float* __restrict inv, const float* __restrict ds, const S* __restrict mu,
                 const S* __restrict rho, S* __restrict m_mu, S* __restrict m_rho, S* __restrict v_mu,
                 S* __restrict v_rho, S* __restrict next_mu, S* __restrict next_rho) {
  const A w = c.w, beta = c.beta, scale = c.scale, a = c.a;
  const A b1 = c.b1, b2 = c.b2, step = c.step, adam_eps = c.adam_eps;
  for (int64_t k = 0; k < n; ++k) {
    const A x = eps[k], gz = g[k], is = inv[k], dsk = ds[k];
    const A gmu = w * (A(0) + (-gz + a * x * is));
    const A grho = w * (A(0) + (-gz * x + beta * (-x * x + scale * (x * x - A(1))) * is)) * dsk;
    const A mm = b1 * static_cast<A>(m_mu[k]) + (1 - b1) * gmu;
    const A vm = b2 * static_cast<A>(v_mu[k]) + (1 - b2) * gmu * gmu;
    const A new_mu = static_cast<A>(mu[k]) - step * mm / (std::sqrt(vm) + adam_eps);
    const A mr = b1 * static_cast<A>(m_rho[k]) + (1 - b1) * grho;
    const A vr = b2 * static_cast<A>(v_rho[k]) + (1 - b2) * grho * grho;
    const A new_rho = static_cast<A>(rho[k]) - step * mr / (std::sqrt(vr) + adam_eps);
    m_mu[k] = static_cast<S>(mm);
    v_mu[k] = static_cast<S>(vm);
    next_mu[k] = static_cast<S>(new_mu);
    m_rho[k] = static_cast<S>(mr);
    v_rho[k] = static_cast<S>(vr);
    next_rho[k] = static_cast<S>(new_rho);
  }
}

}  // namespace elbo::bench
