#include "elbo/vi/psis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "elbo/graph/error.hpp"

namespace elbo {

namespace {

double log_sum_exp(std::span<const double> v) {
  double m = -std::numeric_limits<double>::infinity();
  for (double x : v) m = std::max(m, x);
  if (!std::isfinite(m)) return m;
  double s = 0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

// The quantile function of the generalised Pareto distribution with shape k, scale sigma
// and location 0, at probability p in (0, 1).
double pareto_quantile(double p, double k, double sigma) {
  if (std::abs(k) < std::numeric_limits<double>::epsilon()) return -sigma * std::log1p(-p);
  return sigma * std::expm1(-k * std::log1p(-p)) / k;
}

}  // namespace

// Zhang & Stephens (2009), "A new and efficient estimation method for the generalized
// Pareto distribution", in the parameterisation theta = -k / sigma: the profile
// log-likelihood of theta is l(theta) = n (log(theta / k(theta)) + k(theta) - 1) with
// k(theta) = -mean(log(1 - theta x_i)) (their sign of k: density (1/s)(1 - k x/s)^(1/k - 1)). The estimate of theta is the
// posterior mean over m = 30 + floor(sqrt(n)) grid points
//   theta_j = 1 / x_n + (1 - sqrt(m / (j - 1/2))) / (3 x_q),  x_q the first quartile,
// weighted by w_j = 1 / sum_i exp(l(theta_i) - l(theta_j)). Then k = mean(log(1 - theta x))
// (the PSIS sign: k > 0 is a heavy tail), sigma = -k / theta, and k is shrunk towards 0.5
// by the weakly informative prior of the PSIS paper (Appendix C): (n k + 10 * 0.5) / (n + 10).
ParetoFit fit_generalized_pareto(std::span<const double> x) {
  const int64_t n = static_cast<int64_t>(x.size());
  if (n < 5)
    throw InvalidArgument("fit_generalized_pareto: argument 'sorted_exceedances' has " + std::to_string(n) +
                          " values, but the fit needs at least 5");
  const int64_t m = 30 + static_cast<int64_t>(std::floor(std::sqrt(static_cast<double>(n))));
  const double x_max = x[n - 1];
  double x_quartile = x[std::max<int64_t>(0, static_cast<int64_t>(std::floor(n / 4.0 + 0.5)) - 1)];
  if (!(x_max > 0))
    throw InvalidArgument("fit_generalized_pareto: argument 'sorted_exceedances' has no positive value");
  if (!(x_quartile > 0))  // ties at 0 fill the first quartile: the smallest positive value
    x_quartile = *std::upper_bound(x.begin(), x.end(), 0.0);
  std::vector<double> theta(static_cast<size_t>(m)), loglik(static_cast<size_t>(m));
  for (int64_t j = 0; j < m; ++j) {
    theta[j] = 1.0 / x_max + (1.0 - std::sqrt(static_cast<double>(m) / (static_cast<double>(j) + 0.5))) /
                                 (3.0 * x_quartile);
    double mean_log = 0;  // mean(log(1 - theta x)) = -k(theta) in Zhang & Stephens' sign
    for (double xi : x) mean_log += std::log1p(-theta[j] * xi);
    mean_log /= static_cast<double>(n);
    const double k_zs = -mean_log;
    loglik[j] = static_cast<double>(n) * (std::log(theta[j] / k_zs) + k_zs - 1.0);
  }
  // w_j = 1 / sum_i exp(l_i - l_j); grid points whose weight is negligible are dropped.
  std::vector<double> weight(static_cast<size_t>(m));
  double total = 0;
  for (int64_t j = 0; j < m; ++j) {
    double s = 0;
    for (int64_t i = 0; i < m; ++i) s += std::exp(loglik[i] - loglik[j]);
    weight[j] = 1.0 / s;
    if (!(weight[j] >= 10 * std::numeric_limits<double>::epsilon())) weight[j] = 0;
    total += weight[j];
  }
  double theta_hat = 0;
  for (int64_t j = 0; j < m; ++j) theta_hat += theta[j] * weight[j] / total;
  double k = 0;
  for (double xi : x) k += std::log1p(-theta_hat * xi);
  k /= static_cast<double>(n);
  ParetoFit fit;
  fit.sigma = -k / theta_hat;
  const double prior_n = 10, prior_k = 0.5;
  fit.k = (static_cast<double>(n) * k + prior_n * prior_k) / (static_cast<double>(n) + prior_n);
  return fit;
}

PsisResult psis(std::span<const double> log_ratios) {
  const int64_t S = static_cast<int64_t>(log_ratios.size());
  if (S < 25)
    throw InvalidArgument("psis: argument 'log_ratios' has " + std::to_string(S) +
                          " values, but PSIS needs at least 25 draws (a tail of 5 for the Pareto fit)");
  for (int64_t s = 0; s < S; ++s)
    if (std::isnan(log_ratios[s]) || log_ratios[s] == std::numeric_limits<double>::infinity())
      throw InvalidArgument("psis: argument 'log_ratios' is " + std::to_string(log_ratios[s]) + " at index " +
                            std::to_string(s) + ", but must be finite or -inf");
  double top = -std::numeric_limits<double>::infinity();
  for (double v : log_ratios) top = std::max(top, v);
  if (!std::isfinite(top))
    throw InvalidArgument("psis: argument 'log_ratios' is -inf everywhere: every draw has probability 0 under p");

  PsisResult r;
  r.log_weights.resize(static_cast<size_t>(S));
  for (int64_t s = 0; s < S; ++s) r.log_weights[s] = log_ratios[s] - top;  // the largest is 0
  std::vector<double>& lw = r.log_weights;

  // The M largest: M = ceil(min(S / 5, 3 sqrt(S))) (relative efficiency 1: independent draws).
  const int64_t M = static_cast<int64_t>(
      std::ceil(std::min(0.2 * static_cast<double>(S), 3.0 * std::sqrt(static_cast<double>(S)))));
  r.tail_length = M;
  std::vector<int64_t> order(static_cast<size_t>(S));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return lw[a] < lw[b] || (lw[a] == lw[b] && a < b); });
  // The cutoff is the largest ratio below the tail; the tail is the M largest (ties broken by
  // index, so the result does not depend on the sort).
  const double cutoff = lw[order[S - M - 1]];
  const double exp_cutoff = std::exp(cutoff);
  std::vector<double> exceed(static_cast<size_t>(M));
  for (int64_t i = 0; i < M; ++i) exceed[i] = std::exp(lw[order[S - M + i]]) - exp_cutoff;
  if (exceed[M - 1] <= 0) {
    // Every tail ratio equals the cutoff: nothing heavy to smooth.
    r.khat = -std::numeric_limits<double>::infinity();
  } else {
    // Exceedances of 0 (ties with the cutoff) are kept: they are part of the sorted sample.
    const ParetoFit fit = fit_generalized_pareto(exceed);
    r.khat = fit.k;
    r.sigma = fit.sigma;
    if (std::isfinite(fit.k)) {
      // The i-th smallest tail ratio becomes the ((i + 1/2) / M) quantile of the fit, no
      // larger than the largest raw ratio (log weight 0).
      for (int64_t i = 0; i < M; ++i) {
        const double q = pareto_quantile((static_cast<double>(i) + 0.5) / static_cast<double>(M), fit.k, fit.sigma);
        lw[order[S - M + i]] = std::min(0.0, std::log(q + exp_cutoff));
      }
    }
  }
  const double norm = log_sum_exp(lw);
  double sum_sq = 0;
  for (double& v : lw) {
    v -= norm;
    sum_sq += std::exp(2 * v);
  }
  r.ess = 1.0 / sum_sq;
  return r;
}

std::string khat_verdict(double khat) {
  if (khat < 0.5) return "good";
  if (khat < kTrustedKhat) return "usable";
  return "do not trust";
}

}  // namespace elbo
