#include "elbo/vi/objective.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <algorithm>
#include <vector>

#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/model/logp_program.hpp"

namespace elbo {

namespace {
std::string number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}
}  // namespace

Objective Objective::renyi(double alpha) {
  if (!std::isfinite(alpha) || alpha < 0 || alpha == 1)
    throw InvalidArgument("Objective::renyi: argument 'alpha' is " + number(alpha) +
                          ", but must be finite, >= 0 and not 1 (alpha = 1 is the ELBO: use kl)");
  Objective o;
  o.kind = Kind::renyi;
  o.alpha = alpha;
  return o;
}

Objective Objective::ksd(double temperature) {
  if (!(temperature > 0) || !std::isfinite(temperature))
    throw InvalidArgument("Objective::ksd: argument 'temperature' is " + number(temperature) +
                          ", but must be positive and finite");
  Objective o;
  o.kind = Kind::ksd;
  o.temperature = temperature;
  return o;
}

std::string Objective::name() const {
  if (kind == Kind::ksd) return "ksd";
  return kind == Kind::kl ? "kl" : alpha == 0 ? "iwae" : "renyi:" + number(alpha);
}

double estimate_bound(const Model& model, const Approximation& q, const Objective& objective, int64_t particles,
                      int64_t repeats, uint64_t seed) {
  if (particles < 1 || repeats < 1)
    throw InvalidArgument("estimate_bound: arguments 'particles' (" + std::to_string(particles) + ") and 'repeats' (" +
                          std::to_string(repeats) + ") must be >= 1");
  if (objective.kind == Objective::Kind::ksd || !q.has_density())
    throw InvalidArgument("estimate_bound: argument 'objective' is " + objective.name() + " and 'q' is " + q.kind() +
                          ": the ksd objective and particles have no bound to estimate");
  if (q.dim() != model.flat_size())
    throw InvalidArgument("estimate_bound: the approximation has dimension " + std::to_string(q.dim()) +
                          " but the model has " + std::to_string(model.flat_size()) + " free parameters");
  const int64_t K = particles, D = q.dim(), E = q.noise_dim();
  LogpProgram logp(model);
  logp.set_samples(K);
  std::vector<double> eps(static_cast<size_t>(K * E)), z(static_cast<size_t>(K * D)), lq(static_cast<size_t>(K)),
      lw(static_cast<size_t>(K));
  std::vector<float> z32;
  const Philox rng(seed);
  double total = 0;
  for (int64_t r = 0; r < repeats; ++r) {
    rng.normal(eps.data(), K * E, 0, static_cast<uint64_t>(r));
    q.sample(eps.data(), z.data(), lq.data(), K);
    if (model.dtype() == DType::f32) {
      z32.assign(z.begin(), z.end());
      logp.run<float>(z32.data(), nullptr);
    } else {
      logp.run<double>(z.data(), nullptr);
    }
    for (int64_t k = 0; k < K; ++k) lw[k] = logp.varlogp(k) + logp.datalogp(k) - lq[k];
    if (objective.kind == Objective::Kind::kl) {
      double s = 0;
      for (double v : lw) s += v;
      total += s / static_cast<double>(K);
      continue;
    }
    const double a = 1.0 - objective.alpha;
    double m = -INFINITY, s = 0;
    for (double v : lw) m = std::max(m, a * v);
    for (double v : lw) s += std::exp(a * v - m);
    total += (m + std::log(s / static_cast<double>(K))) / a;
  }
  return total / static_cast<double>(repeats);
}

Objective parse_objective(const std::string& text, long long* particles) {
  const std::string usage = "objective '" + text + "': write kl, renyi:ALPHA (ALPHA >= 0, not 1) or iwae:K (K >= 1)";
  if (text == "kl") return Objective::kl();
  const size_t colon = text.find(':');
  if (colon == std::string::npos) throw InvalidArgument(usage);
  const std::string name = text.substr(0, colon), arg = text.substr(colon + 1);
  if (name == "renyi") {
    double alpha = NAN;
    auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), alpha);
    if (arg.empty() || ec != std::errc() || p != arg.data() + arg.size() || !std::isfinite(alpha) || alpha < 0 ||
        alpha == 1)
      throw InvalidArgument(usage);
    return Objective::renyi(alpha);
  }
  if (name == "iwae") {
    long long k = 0;
    auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), k);
    if (arg.empty() || ec != std::errc() || p != arg.data() + arg.size() || k < 1) throw InvalidArgument(usage);
    if (particles) *particles = k;
    return Objective::iwae();
  }
  throw InvalidArgument(usage);
}

}  // namespace elbo
