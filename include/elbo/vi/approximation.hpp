#pragma once
// A variational approximation q(z) over the model's flat unconstrained vector (OPVI's
// "approximation"). It owns a flat vector of variational parameters that the optimizer
// updates, draws z by reparameterisation from standard normal noise eps, and turns
// dloss/dz and dloss/dlogq into dloss/dparams with PyMC's cost_part_grad_scale.
// Families written as graph expressions derive from GraphFamily (graph_family.hpp), which
// implements the draws and the gradients with the engine; MeanField and FullRank are
// hand-derived fast paths behind the same interface.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"
#include "elbo/vi/parallel_for.hpp"

ELBO_API_BEGIN
namespace elbo {

class Approximation {
 public:
  virtual ~Approximation() = default;

  /// The family, as files and messages name it: "meanfield" (MeanField), "fullrank"
  /// (FullRank), PyMC's class names in lower case as in its method "fullrank_advi", then
  /// "lowrank:K" (LowRank of rank K) and "flow:FORMULA" (NormalizingFlow): the name with
  /// whatever else rebuilds the family (family_registry.hpp).
  virtual std::string kind() const = 0;
  /// Dimension D of z.
  virtual int64_t dim() const = 0;
  /// Standard normal noise values per draw: D for most families, D + K for LowRank.
  virtual int64_t noise_dim() const { return dim(); }
  /// The variational parameters, flat (what the optimizer updates). Take params() anew
  /// after each step of a fit: a float32 mean-field fit's steps leave them in float
  /// (MeanField::single_params), and params() widens them into this span when called.
  virtual std::span<double> params() = 0;
  virtual std::span<const double> params() const = 0;
  /// Name of variational parameter i ("mu[3]", "rho[0]", "L[2,1]").
  virtual std::string param_name(int64_t i) const = 0;
  /// The coordinate of z that variational parameter i belongs to (its row for L), or -1
  /// for a parameter shared by all coordinates (a flow layer's).
  virtual int64_t coordinate(int64_t i) const = 0;

  /// z for S draws; eps is [S, noise_dim()] and z [S, D], row-major.
  virtual void sample_z(const double* eps, double* z, int64_t S) const = 0;
  /// log q(z) of the draw made from eps (one sample, eps is [noise_dim()]).
  virtual double logq_from_eps(const double* eps) const = 0;
  /// log q at a given point z [D], for families whose density there has a closed form
  /// (MeanField, FullRank, Mixture of those); the default throws InvalidArgument naming
  /// the kind.
  virtual double log_density(const double* z) const;
  /// z [S, D] and log q(z) [S] for S draws in one pass.
  virtual void sample(const double* eps, double* z, double* logq, int64_t S) const;

  /// The gradient with respect to params() of  sum_s [ dz_s . z_s + dlogq_s logq(z_s) ]
  /// for S draws (dz [S, D], dlogq [S]), where the part of d logq / dparams that does not
  /// flow through z is multiplied by `scale` (PyMC's cost_part_grad_scale; 0 gives the
  /// "sticking the landing" estimator). Every objective reduces to this. Writes into
  /// grad (size params().size()).
  virtual void backward(const double* eps, const double* dz, const double* dlogq, int64_t S, double scale,
                        double* grad) const = 0;
  /// Whether log q can be evaluated at a given z, which separates the part of its gradient
  /// that does not flow through z: false for a flow without a closed-form inverse, which
  /// then accepts only scale = 1.
  virtual bool separates_score_part() const { return true; }
  /// Whether q has a density (log q): false for particles (Empirical), which then have no
  /// log q, backward(), PSIS k-hat or KL objective.
  virtual bool has_density() const { return true; }
  /// The precision the model evaluates the draws in. Inference sets it from the model while
  /// its steps run and sets f64 back when fit() or adapt_step_size() returns, so a fitted q
  /// samples exactly as the same parameters loaded from a file. A family may compute its
  /// per-parameter transcendental terms at that precision: MeanField computes sigma =
  /// softplus(rho), log sigma and their derivatives in float for a float32 model (its
  /// parameters and their updates stay double). Others ignore it.
  virtual void set_draw_dtype(DType dtype) { (void)dtype; }
  /// Threads for the per-parameter work of sample() and gradient() (Inference lends its
  /// program's while steps run and takes them back after; null: this thread). A family
  /// splits only elementwise work with it, so results do not depend on it. Others ignore it.
  virtual void set_parallel(ParallelFor parallel) { (void)parallel; }

  /// Gradient of the per-step loss  (1/(S c)) sum_s [ -g_s . z_s  + beta * logq(z_s) ]
  /// with respect to params(), where g_s = d(weighted log p)/dz at draw s ([S, D]) and
  /// c the normalising constant: the KL objective's case of backward(), which it calls
  /// with dz = -g / (S c) and dlogq = beta / (S c) unless a family has a faster path.
  virtual void gradient(const double* eps, const double* dlogp_dz, int64_t S, double scale, double c,
                        double beta, double* grad) const;

  /// Entropy of q: analytic where it has a closed form, else a Monte Carlo estimate with
  /// a fixed seed (GraphFamily).
  virtual double entropy() const = 0;
  /// Mean of q in unconstrained space, [D] (a fixed-seed Monte Carlo estimate for flows).
  virtual std::vector<double> mean() const = 0;
  /// Marginal standard deviations of q in unconstrained space, [D] (PyMC's approx.std;
  /// "sd" as in summaries and Standardizer::sd).
  virtual std::vector<double> sd() const = 0;
  /// Covariance of q in unconstrained space, [D, D].
  virtual Tensor cov() const = 0;
  /// The variance under q of each of n linear functions z -> j . z: j_i Sigma j_i^T for the
  /// rows j_i of j ([n, D], row-major) into out [n], without forming Sigma where the family
  /// allows (the probit predictive's logit variances). Closed forms for MeanField, FullRank
  /// and KroneckerNormal; the default throws InvalidArgument naming the kind.
  virtual void linear_variance(const double* j, int64_t n, double* out) const;

  virtual std::unique_ptr<Approximation> clone() const = 0;
};

}  // namespace elbo
ELBO_API_END
