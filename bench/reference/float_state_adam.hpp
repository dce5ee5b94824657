#pragma once
// The fused step's update (src/vi/mean_field_adam_step.cpp, update_range) with the
// variational state in float32 instead of double: mu, rho and Adam's moments as floats,
// the same expressions in the same order. Not the library's: a measurement of what a
// float32 state would save on the per-parameter work (bench/fused_update_precision_bench.cpp,
// docs/PERFORMANCE.md "What a float32 variational state would save").
#include <cmath>
#include <cstdint>

namespace elbo::bench {

struct FloatAdamConstants {
  float w, beta, scale, a;       // a = beta (scale - 1)
  float b1, b2, step, adam_eps;  // Adam's; step = the bias-corrected rate
};

// n parameters: the one-draw gradient of mu and rho from eps, the float gradient g of
// log p at z, and sigma's terms inv = 1 / sigma, ds = sigmoid(rho); Adam's moments in place,
// the new mu and rho into next_mu and next_rho.
inline void float_state_adam_update(const FloatAdamConstants& c, int64_t n, const float* __restrict eps,
                                    const float* __restrict g, const float* __restrict inv,
                                    const float* __restrict ds, const float* __restrict mu,
                                    const float* __restrict rho, float* __restrict m_mu, float* __restrict m_rho,
                                    float* __restrict v_mu, float* __restrict v_rho, float* __restrict next_mu,
                                    float* __restrict next_rho) {
  const float w = c.w, beta = c.beta, scale = c.scale, a = c.a;
  const float b1 = c.b1, b2 = c.b2, step = c.step, adam_eps = c.adam_eps;
  for (int64_t k = 0; k < n; ++k) {
    const float x = eps[k], gz = g[k], is = inv[k], dsk = ds[k];
    const float gmu = w * (0.0f + (-gz + a * x * is));
    const float grho = w * (0.0f + (-gz * x + beta * (-x * x + scale * (x * x - 1.0f)) * is)) * dsk;
    const float mm = b1 * m_mu[k] + (1 - b1) * gmu;
    const float vm = b2 * v_mu[k] + (1 - b2) * gmu * gmu;
    const float mr = b1 * m_rho[k] + (1 - b1) * grho;
    const float vr = b2 * v_rho[k] + (1 - b2) * grho * grho;
    next_mu[k] = mu[k] - step * mm / (std::sqrt(vm) + adam_eps);
    next_rho[k] = rho[k] - step * mr / (std::sqrt(vr) + adam_eps);
    m_mu[k] = mm;
    v_mu[k] = vm;
    m_rho[k] = mr;
    v_rho[k] = vr;
  }
}

// The same update with the state kept in double but its arithmetic in float: the moments
// are read as double, rounded to float, updated as above and written back widened; mu and
// rho stay double and take the step computed in float. Half of what a float state saves is its bytes, half its arithmetic; this
// measures the arithmetic alone (the variant that keeps the checkpoint format and the
// general path's arrays).
inline void float_math_adam_update(const FloatAdamConstants& c, int64_t n, const float* __restrict eps,
                                   const float* __restrict g, const float* __restrict inv,
                                   const float* __restrict ds, const double* __restrict mu,
                                   const double* __restrict rho, double* __restrict m_mu, double* __restrict m_rho,
                                   double* __restrict v_mu, double* __restrict v_rho, double* __restrict next_mu,
                                   double* __restrict next_rho) {
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
    next_mu[k] = mu[k] - static_cast<double>(step * mm / (std::sqrt(vm) + adam_eps));
    next_rho[k] = rho[k] - static_cast<double>(step * mr / (std::sqrt(vr) + adam_eps));
    m_mu[k] = mm;
    v_mu[k] = vm;
    m_rho[k] = mr;
    v_rho[k] = vr;
  }
}

}  // namespace elbo::bench
