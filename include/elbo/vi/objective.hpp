#pragma once
// The objective an inference minimises (OPVI's operator), over the obj_n_mc draws of a
// step:
//   kl      the negative ELBO, E_q[log q - log p] (with FitOptions::beta on the KL part);
//   renyi   the negative Renyi bound (Li & Turner 2016; NumPyro's RenyiELBO),
//           -1/(1 - alpha) log( mean_k w_k^(1 - alpha) ),  w_k = p(z_k) / q(z_k),
//           whose gradient weights each draw's d log w_k by softmax((1 - alpha) log w_k);
//           alpha -> 1 is the ELBO, alpha = 0 the importance-weighted bound (IWAE) of
//           Burda et al. with obj_n_mc = K particles;
//   ksd     the Stein variational gradient (stein.hpp) at a temperature: SVGD moves an
//           Empirical's particles along it; for a family with a density (ASVGD) the
//           direction at obj_n_mc draws is pushed back to its parameters through z.
// Losses are divided by the model's normalising constant as the ELBO's are (the minibatch
// scale PyMC reports).
#include <cstdint>
#include <string>

#include "elbo/export.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

struct Objective {
  enum class Kind { kl, renyi, ksd };
  Kind kind = Kind::kl;
  double alpha = 0;        ///< renyi only: alpha >= 0, alpha != 1
  double temperature = 1;  ///< ksd only: > 0

  static Objective kl() { return {}; }
  /// Throws InvalidArgument unless alpha is finite, >= 0 and not 1 (use kl()).
  static Objective renyi(double alpha);
  /// The importance-weighted bound: renyi(0); its K is FitOptions::obj_n_mc.
  static Objective iwae() { return renyi(0); }
  /// SVGD's operator; throws InvalidArgument unless temperature is finite and > 0.
  static Objective ksd(double temperature = 1.0);

  /// "kl", "renyi:0.5", "iwae" (the particle count is obj_n_mc's) or "ksd".
  std::string name() const;
};

/// The bound the objective estimates with `particles` draws (the ELBO for kl, the Renyi or
/// IWAE bound otherwise; on the model's full log density, not divided by the normalising
/// constant), averaged over `repeats` independent estimates from seeded draws. For tests
/// and diagnostics: IWAE's bound is >= the ELBO and grows with its particles.
double estimate_bound(const Model& model, const Approximation& q, const Objective& objective, int64_t particles,
                      int64_t repeats, uint64_t seed);

/// Parses the CLI's spelling: "kl", "renyi:ALPHA" or "iwae:K"; for iwae, *particles is set
/// to K (it is obj_n_mc). Throws InvalidArgument naming the text.
Objective parse_objective(const std::string& text, long long* particles);

}  // namespace elbo
ELBO_API_END
