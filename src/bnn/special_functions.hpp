#pragma once
// The regularised incomplete gamma and beta functions, for the CDFs of the Poisson and
// Student-t predictives (Numerical Recipes' series and Lentz continued fractions; relative
// accuracy about 1e-14 after at most 300 terms).
namespace elbo::bnn_detail {

/// Q(a, x) = Gamma(a, x) / Gamma(a), a > 0, x >= 0: the Poisson CDF is P(X <= k) = Q(k + 1, mu).
double regularized_gamma_q(double a, double x);

/// I_x(a, b), a, b > 0, x in [0, 1].
double regularized_beta(double a, double b, double x);

/// log |Gamma(x)| without touching the global `signgam` that std::lgamma sets (lgamma_r):
/// safe on several threads at once, as the likelihoods' summaries run.
double log_gamma(double x);

}  // namespace elbo::bnn_detail
