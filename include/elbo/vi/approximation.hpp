#pragma once
// A variational approximation q(z) over the model's flat unconstrained vector (OPVI's
// "approximation"). It owns a flat vector of variational parameters that the optimizer
// updates, draws z by reparameterisation from standard normals eps, and turns dloss/dz
// into dloss/dparams with PyMC's cost_part_grad_scale.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo {

class Approximation {
 public:
  virtual ~Approximation() = default;

  /// The family, as files and messages name it: "meanfield" (MeanField) or "fullrank"
  /// (FullRank), PyMC's class names in lower case, as in its method "fullrank_advi".
  virtual std::string kind() const = 0;
  /// Dimension D of z.
  virtual int64_t dim() const = 0;
  /// The variational parameters, flat (what the optimizer updates).
  virtual std::span<double> params() = 0;
  virtual std::span<const double> params() const = 0;
  /// Name of variational parameter i ("mu[3]", "rho[0]", "L[2,1]").
  virtual std::string param_name(int64_t i) const = 0;
  /// The coordinate of z that variational parameter i belongs to (its row for L).
  virtual int64_t coordinate(int64_t i) const = 0;

  /// z = mu + scale * eps for S draws; eps and z are [S, D] row-major.
  virtual void sample_z(const double* eps, double* z, int64_t S) const = 0;
  /// log q(z) of the draw made from eps (one sample, eps is [D]).
  virtual double logq_from_eps(const double* eps) const = 0;

  /// Gradient of the per-step loss  (1/(S c)) sum_s [ -g_s . z_s  + beta * logq(z_s) ]
  /// with respect to params(), where g_s = d(weighted log p)/dz at draw s ([S, D]),
  /// c the normalising constant, and `scale` PyMC's cost_part_grad_scale: it multiplies
  /// the part of d logq / dparams that does not flow through z (0 gives the "sticking the
  /// landing" estimator). Writes into grad (size params().size()).
  virtual void gradient(const double* eps, const double* dlogp_dz, int64_t S, double scale, double c,
                        double beta, double* grad) const = 0;

  /// Analytic entropy of q.
  virtual double entropy() const = 0;
  /// Mean of q in unconstrained space, [D].
  virtual std::vector<double> mean() const = 0;
  /// Marginal standard deviations of q in unconstrained space, [D] (PyMC's approx.std;
  /// "sd" as in summaries and Standardizer::sd).
  virtual std::vector<double> sd() const = 0;
  /// Covariance of q in unconstrained space, [D, D].
  virtual Tensor cov() const = 0;

  virtual std::unique_ptr<Approximation> clone() const = 0;
};

}  // namespace elbo
ELBO_API_END
