#pragma once
// A probability distribution whose parameters are expressions of one graph: its
// log-density as a graph expression, its support and automatic transform, random draws
// and a central point given numeric parameter values, and checks of constant parameters
// and observed data with messages that name the variable.
//
// Concrete distributions are made by factory functions, one header each
// (elbo/distributions/normal.hpp: normal(mu, sigma), ...). Parameters are Exprs so that
// they can be numbers, tensors or expressions of other random variables (hierarchical
// models); the model layer turns numbers and tensors into constants.
//
// Normalising terms with the log-gamma function: the engine has no lgamma op. Where the
// argument is a constant (a fixed StudentT nu, Gamma alpha, the data of a constant
// observation) it is computed with std::lgamma into a constant. Otherwise (a random
// parameter, replaceable data) it is the Stirling series after a shift by 6, composed of
// engine ops: absolute error below 1e-10 in float64 for every argument > 0, and its
// derivative (the digamma function) is as accurate, so random parameters get correct
// gradients.
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/graph.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/graph/tensor.hpp"
#include "elbo/transforms/transform.hpp"

ELBO_API_BEGIN
namespace elbo {

/// Where a distribution puts its mass.
enum class Support {
  real,                 ///< (-inf, inf)
  positive,             ///< [0, inf) (HalfNormal, Gamma, ...)
  unit_interval,        ///< [0, 1] (Beta)
  interval,             ///< [lower(), upper()] (Uniform)
  nonnegative_integer,  ///< 0, 1, 2, ... (Poisson, Binomial)
  binary,               ///< 0 or 1 (Bernoulli)
  categorical,          ///< labels 0, ..., K-1 (Categorical)
};

/// "real", "positive", ...
std::string_view support_name(Support s);

class Distribution {
 public:
  virtual ~Distribution() = default;

  /// PyMC's name: "Normal", "HalfNormal", ...
  virtual std::string_view name() const = 0;
  /// Parameter names in the order of params(): {"mu", "sigma"}.
  virtual std::vector<std::string> param_names() const = 0;
  /// The parameter expressions, all in one graph.
  const std::vector<Expr>& params() const { return params_; }

  virtual Support support() const = 0;
  /// Bounds of the support: -inf/inf for real, 0/inf for positive, 0/1 for the unit
  /// interval and binary, the bounds for Uniform, 0/inf for counts, 0/K-1 for labels.
  virtual double lower() const;
  virtual double upper() const;
  /// True for integer supports (nonnegative_integer, binary, categorical).
  virtual bool discrete() const;

  /// Elementwise log density (or mass) of `value`, broadcast against the parameters.
  /// The value must lie in the support: free variables stay there through their
  /// transform, observed data is checked by check_observed (Uniform alone gives -inf
  /// outside, since its density carries no other sign of the bounds).
  virtual Expr logp(Expr value) const = 0;

  /// The sum of logp(value) over all elements, a scalar. Distributions with a fused kernel
  /// for it (Normal with constant scalar parameters) override this; the value is the same.
  virtual Expr logp_sum(Expr value) const;
  /// The mean of logp(value) over all elements times `scale` (a minibatch's log-likelihood
  /// with its total_size scaling). Bernoulli on a logit overrides this and logp_sum with
  /// one fused node; the value is the same.
  virtual Expr logp_mean(Expr value, double scale = 1.0) const;

  /// Random draws of base shape `shape` given numeric parameter values (in the order of
  /// params(), each broadcastable to `shape`; Categorical's p has one more, last, axis).
  /// Reproducible: a pure function of the values, (rng's seed, stream, counter) and dtype.
  /// Throws InvalidArgument for a wrong number of values, ShapeError for shapes that do
  /// not broadcast.
  virtual Tensor draw(std::span<const Tensor> param_values, const Shape& shape, const Philox& rng,
                      uint64_t stream, uint64_t counter, DType dtype) const = 0;

  /// A central point of the support of base shape `shape`, for initial points: the mean
  /// where it is finite, else the median; the mode for discrete distributions.
  virtual Tensor central_point(std::span<const Tensor> param_values, const Shape& shape,
                               DType dtype) const = 0;

  /// Checks every parameter that is a constant; throws InvalidArgument naming the
  /// variable, the argument, the value and, for tensors, the index:
  /// "Normal('w'): argument 'sigma' is -1, but must be positive",
  /// "Normal('w'): argument 'sigma' at index 2 is 0, but must be positive".
  virtual void check_params(const std::string& var) const;

  /// Checks observed data for a likelihood: every value finite
  /// ("Normal('y'): observed value nan at index 3 is not finite"), then in the support
  /// ("HalfNormal('y'): observed value -1 at index 0 is outside the support [0, inf)";
  /// Bernoulli: "is not 0 or 1"; counts: "is not a non-negative integer"; labels: "is not
  /// a label in [0, 3)"). Throws InvalidArgument.
  virtual void check_observed(const std::string& var, const Tensor& data) const;

  /// The transform a free variable gets automatically: log for positive, logodds for the
  /// unit interval, interval for Uniform; null for real and discrete supports.
  virtual std::shared_ptr<const Transform> default_transform() const;

 protected:
  /// `names` label the parameters in messages; every Expr must be valid and all must
  /// share one graph (InvalidArgument otherwise: "Normal: argument 'sigma' is an empty
  /// expression", "Normal: argument 'sigma' belongs to another graph than 'mu'").
  Distribution(std::string_view dist, std::vector<std::string> names, std::vector<Expr> params);

  std::vector<Expr> params_;
};

}  // namespace elbo
ELBO_API_END
