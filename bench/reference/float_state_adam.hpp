#pragma once
// The fused step's update (src/vi/mean_field_adam_step.cpp, update_range) with its
// arithmetic in float32 instead of double, the same expressions in the same order. Not the
// library's: a measurement of what a float32 variational state would save on the
// per-parameter work (bench/fused_update_precision_bench.cpp, docs/PERFORMANCE.md "What a
// float32 variational state would save").
#include <cmath>
#include <cstdint>

namespace elbo::bench {

struct FloatAdamConstants {
  float w, beta, scale, a;       // a = beta (scale - 1)
  float b1, b2, step, adam_eps;  // Adam's; step = the bias-corrected rate
};

// n parameters: the one-draw gradient of mu and rho from eps, the float gradient g of
// log p at z, and sigma's terms inv = 1 / sigma, ds = sigmoid(rho); Adam's moments in place,
// the new mu and rho into next_mu and next_rho. The state (mu, rho, the moments) is stored
// as S: with S = float, a float32 state; with S = double, the double state with float
// arithmetic (the moments rounded to float and back, mu and rho taking a float step), which
// measures the arithmetic without the bytes.
template <class S>
void float_adam_update(const FloatAdamConstants& c, int64_t n, const float* __restrict eps,
                       const float* __restrict g, const float* __restrict inv, const float* __restrict ds,
                       const S* __restrict mu, const S* __restrict rho, S* __restrict m_mu, S* __restrict m_rho,
                       S* __restrict v_mu, S* __restrict v_rho, S* __restrict next_mu, S* __restrict next_rho) {
  const float w = c.w, beta = c.beta, scale = c.scale, a = c.a;
  const float b1 = c.b1, b2 = c.b2, step = c.step, adam_eps = c.adam_eps;
  for (int64_t k = 0; k < n; ++k) {
    const float x = eps[k], gz = g[k], is = inv[k], dsk = ds[k];
    const float gmu = w * (0.0f + (-gz + a * x * is));
    const float grho = w * (0.0f + (-gz * x + beta * (-x * x + scale * (x * x - 1.0f)) * is)) * dsk;
    const float mm = b1 * static_cast<float>(m_mu[k]) + (1 - b1) * gmu;
    const float vm = b2 * static_cast<float>(v_mu[k]) + (1 - b2) * gmu * gmu;
    const float mr = b1 * static_cast<float>(m_rho[k]) + (1 - b1) * grho;
    const float vr = b2 * static_cast<float>(v_rho[k]) + (1 - b2) * grho * grho;
    next_mu[k] = mu[k] - static_cast<S>(step * mm / (std::sqrt(vm) + adam_eps));
    next_rho[k] = rho[k] - static_cast<S>(step * mr / (std::sqrt(vr) + adam_eps));
    m_mu[k] = mm;
    v_mu[k] = vm;
    m_rho[k] = mr;
    v_rho[k] = vr;
  }
}

// The engine's update_range (double arithmetic, the same expressions) on a float32 state:
// each value widened on reading and rounded on writing. What the state's bytes alone save.
struct DoubleAdamConstants {
  double w, beta, scale, a, b1, b2, step, adam_eps;
};
inline void double_math_float_state_update(const DoubleAdamConstants& c, int64_t n, const float* __restrict eps,
                                           const float* __restrict g, const float* __restrict inv,
                                           const float* __restrict ds, const float* __restrict mu,
                                           const float* __restrict rho, float* __restrict m_mu,
                                           float* __restrict m_rho, float* __restrict v_mu,
                                           float* __restrict v_rho, float* __restrict next_mu,
                                           float* __restrict next_rho) {
  const double w = c.w, beta = c.beta, scale = c.scale, a = c.a;
  const double b1 = c.b1, b2 = c.b2, step = c.step, adam_eps = c.adam_eps;
  for (int64_t k = 0; k < n; ++k) {
    const double x = eps[k], gz = g[k], is = inv[k], dsk = ds[k];
    const double gmu = w * (0.0 + (-gz + a * x * is));
    const double grho = w * (0.0 + (-gz * x + beta * (-x * x + scale * (x * x - 1.0)) * is)) * dsk;
    const double mm = b1 * m_mu[k] + (1 - b1) * gmu;
    const double vm = b2 * v_mu[k] + (1 - b2) * gmu * gmu;
    const double new_mu = mu[k] - step * mm / (std::sqrt(vm) + adam_eps);
    const double mr = b1 * m_rho[k] + (1 - b1) * grho;
    const double vr = b2 * v_rho[k] + (1 - b2) * grho * grho;
    const double new_rho = rho[k] - step * mr / (std::sqrt(vr) + adam_eps);
    m_mu[k] = static_cast<float>(mm);
    v_mu[k] = static_cast<float>(vm);
    next_mu[k] = static_cast<float>(new_mu);
    m_rho[k] = static_cast<float>(mr);
    v_rho[k] = static_cast<float>(vr);
    next_rho[k] = static_cast<float>(new_rho);
  }
}

}  // namespace elbo::bench
