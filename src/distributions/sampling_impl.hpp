#pragma once
// Exact samplers for the distributions that need more than a transformed uniform or
// normal: a sequential stream of uniforms for rejection methods, Gamma by Marsaglia and
// Tsang (2000), Beta through two Gammas, Binomial by Knuth's Beta splitting (TAOCP vol. 2,
// 3.4.1 F) and inversion, Poisson by multiplication of uniforms and, from mu = 10, by
// Hormann's PTRS (1993), as NumPy does.
#include <cstdint>
#include <vector>

#include "elbo/graph/random.hpp"

namespace elbo::detail {

/// Uniforms on (0, 1) at positions 0, 1, 2, ... of one (seed, stream, counter), taken in
/// order. Every draw is a pure function of the generator's key and the order in which
/// the samplers consume them, so it does not depend on threads or on the dtype.
class UniformStream {
 public:
  UniformStream(const Philox& rng, uint64_t stream, uint64_t counter, int64_t expected);
  double next();
  /// A standard normal by Box-Muller from two uniforms.
  double normal();

 private:
  void grow();
  const Philox& rng_;
  uint64_t stream_, counter_;
  std::vector<double> buf_;
  size_t pos_ = 0;
};

// Each sampler returns nan for parameters outside its domain (never loops on them).

/// log of a Gamma(a, 1) draw, a > 0; in logs so that tiny shapes do not underflow.
double log_gamma_draw(double a, UniformStream& s);
/// A Beta(a, b) draw.
double beta_draw(double a, double b, UniformStream& s);
/// A Binomial(n, p) draw, n >= 0 integer-valued, p in [0, 1].
double binomial_draw(double n, double p, UniformStream& s);
/// A Poisson(mu) draw, mu >= 0.
double poisson_draw(double mu, UniformStream& s);

}  // namespace elbo::detail
