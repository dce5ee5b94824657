#pragma once
// One mean-field ADVI step of the tutorial network, fused by hand: eps draw,
// z = mu + softplus(rho) eps, the network's forward and backward (TutorialNet), the
// N(0, 1) prior, the negative ELBO, its gradient w.r.t. (mu, rho), and the optimizer's
// update (Opt: AdagradWindow, PyMC's default, or Adam, the CLI's default; both hand-written
// in bench/reference/). The variational parameters and the optimizer work in double and
// the network in T, as in elbo::ADVI, and eps comes from the same Philox stream (seed,
// stream 1, counter = step) drawn in T's precision (a float32 network's noise is drawn as
// float and widened, as elbo::ADVI draws it), so both compute the same loss history.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "elbo/graph/random.hpp"
#include "reference/adagrad_window.hpp"
#include "reference/adam.hpp"
#include "reference/tutorial_net.hpp"

namespace elbo::bench {

template <class T, class Opt = AdagradWindow>
class FusedAdvi {
 public:
  static constexpr int64_t D = TutorialNet<T>::kDim;

  /// mu starts at `mu0` and rho at 0 (sigma = ln 2), as elbo::ADVI starts; the optimizer
  /// with its default settings.
  FusedAdvi(std::span<const double> mu0, uint64_t seed, double cost_part_grad_scale = 1.0)
      : FusedAdvi(mu0, seed, 0.0, Opt(2 * D), cost_part_grad_scale) {}

  /// mu starts at `mu0` and every rho at `start_rho` (sigma = softplus(start_rho); elbo's
  /// `start_sigma` s is rho = log(expm1(s))), updated by `opt` (made for 2 D parameters).
  FusedAdvi(std::span<const double> mu0, uint64_t seed, double start_rho, Opt opt, double cost_part_grad_scale = 1.0)
      : rng_(seed), cpgs_(cost_part_grad_scale), params_(2 * D, start_rho), opt_(std::move(opt)) {
    for (int64_t i = 0; i < D; ++i) params_[i] = mu0[i];
  }

  /// One step on the rows currently in `net`; `total_size` scales the data part
  /// (0 = no scaling). Returns the loss on the minibatch scale, as elbo::ADVI reports it.
  double step(const TutorialNet<T>& net, double total_size = 0) {
    constexpr double kHalfLog2Pi = 0.91893853320467274178;
    const double c = total_size > 0 ? total_size / static_cast<double>(net.rows()) : 1.0;
    if constexpr (std::is_same_v<T, double>) {
      rng_.normal(eps_, D, /*stream=*/1, step_);
    } else {
      T eps_t[D];
      rng_.normal(eps_t, D, /*stream=*/1, step_);
      std::copy(eps_t, eps_t + D, eps_);
    }
    const double* mu = params_.data();
    const double* rho = mu + D;
    double logq = 0;
    for (int64_t i = 0; i < D; ++i) {
      const double e = std::exp(-std::abs(rho[i]));
      sigma_[i] = std::max(rho[i], 0.0) + std::log1p(e);
      sig_rho_[i] = rho[i] >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      z_[i] = static_cast<T>(mu[i] + sigma_[i] * eps_[i]);
      logq += -0.5 * eps_[i] * eps_[i] - std::log(sigma_[i]) - kHalfLog2Pi;
    }
    const double loglik = static_cast<double>(net.logp_grad(z_, gz_));
    double logprior = 0;
    for (int64_t i = 0; i < D; ++i) logprior += -0.5 * double(z_[i]) * double(z_[i]) - kHalfLog2Pi;
    const double loss = -(c * loglik + logprior - logq) / c;
    // d(loss)/d(mu, rho) with dlogp/dz = c * dloglik/dz - z.
    for (int64_t i = 0; i < D; ++i) {
      const double gz = c * double(gz_[i]) - double(z_[i]), e = eps_[i], s = sigma_[i];
      grad_[i] = (-gz + (cpgs_ - 1.0) * e / s) / c;
      grad_[D + i] = (-gz * e + (-e * e + cpgs_ * (e * e - 1.0)) / s) / c * sig_rho_[i];
    }
    opt_.step(params_.data(), grad_, 2 * D);
    ++step_;
    return loss;
  }

  const std::vector<double>& params() const { return params_; }
  uint64_t steps() const { return step_; }

 private:
  Philox rng_;
  double cpgs_;
  std::vector<double> params_;
  Opt opt_;
  uint64_t step_ = 0;
  double eps_[D], sigma_[D], sig_rho_[D], grad_[2 * D];
  T z_[D], gz_[D];
};

}  // namespace elbo::bench
