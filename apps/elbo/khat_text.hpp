#pragma once
// The PSIS k-hat as `elbo fit` and `elbo check` print it:
// "PSIS k-hat: 0.31, good (k-hat < 0.5: q is close to the posterior; 1000 draws, ESS 612)".
#include <cstdio>
#include <string>

#include "elbo/vi/approximation_check.hpp"
#include "elbo/vi/psis.hpp"

namespace elbo::cli {

/// What a verdict of khat_verdict means, in one clause.
inline std::string khat_meaning(const std::string& verdict) {
  if (verdict == "good") return "k-hat < 0.5: q is close to the posterior";
  if (verdict == "usable") return "0.5 <= k-hat < 0.7: q is rough, but reweighted estimates are reliable";
  return "k-hat >= 0.7: q misses much of the posterior; do not trust its uncertainty";
}

inline std::string khat_line(const ApproximationCheck& c) {
  const std::string verdict = khat_verdict(c.psis.khat);
  char head[64], tail[96];
  std::snprintf(head, sizeof head, "PSIS k-hat: %.2f, ", c.psis.khat);
  std::snprintf(tail, sizeof tail, "; %ld draws, ESS %.0f)", static_cast<long>(c.draws), c.psis.ess);
  return head + verdict + " (" + khat_meaning(verdict) + tail;
}

}  // namespace elbo::cli
