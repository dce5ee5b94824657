#include "elbo/vi/mixture.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"

namespace elbo {

namespace {
constexpr uint64_t kEntropyStream = 31;  // the fixed draws of entropy()
constexpr int64_t kEntropyDraws = 4000;
}  // namespace

Mixture::Mixture(std::vector<std::unique_ptr<Approximation>> members) : members_(std::move(members)) {
  if (members_.empty()) throw InvalidArgument("Mixture: argument 'members' is empty; a mixture needs at least one");
  const Approximation& first = *members_[0];
  d_ = first.dim();
  member_noise_ = first.noise_dim();
  member_params_ = static_cast<int64_t>(first.params().size());
  for (size_t k = 0; k < members_.size(); ++k) {
    const Approximation& m = *members_[k];
    if (m.kind() != first.kind() || m.dim() != d_ || static_cast<int64_t>(m.params().size()) != member_params_)
      throw InvalidArgument("Mixture: member " + std::to_string(k) + " is " + m.kind() + " over " +
                            std::to_string(m.dim()) + " coordinates, but member 0 is " + first.kind() + " over " +
                            std::to_string(d_) + "; the members must be of one family and dimension");
    if (!m.has_density())
      throw InvalidArgument("Mixture: member " + std::to_string(k) + " (" + m.kind() + ") has no density");
    params_.insert(params_.end(), m.params().begin(), m.params().end());
  }
  // A member without log_density at a point throws here, not at the first draw.
  std::vector<double> z(static_cast<size_t>(d_), 0.0);
  (void)first.log_density(z.data());
}

Mixture::Mixture(const Mixture& other)
    : Approximation(other),
      d_(other.d_),
      member_noise_(other.member_noise_),
      member_params_(other.member_params_),
      params_(other.params_) {
  other.sync();
  for (const auto& m : other.members_) members_.push_back(m->clone());
}

std::string Mixture::kind() const { return "mixture:" + std::to_string(members_.size()) + ":" + members_[0]->kind(); }

std::span<double> Mixture::params() {
  std::lock_guard<std::mutex> lock(sync_mutex_);
  dirty_ = true;
  return params_;
}

void Mixture::sync() const {
  std::lock_guard<std::mutex> lock(sync_mutex_);
  if (!dirty_) return;
  for (size_t k = 0; k < members_.size(); ++k) {
    auto p = members_[k]->params();
    std::copy(params_.begin() + static_cast<int64_t>(k) * member_params_,
              params_.begin() + static_cast<int64_t>(k + 1) * member_params_, p.begin());
  }
  dirty_ = false;
}

const Approximation& Mixture::member(int64_t k) const {
  if (k < 0 || k >= members())
    throw InvalidArgument("Mixture::member: argument 'k' is " + std::to_string(k) + ", but the mixture has " +
                          std::to_string(members()) + " members");
  sync();
  return *members_[static_cast<size_t>(k)];
}

std::string Mixture::param_name(int64_t i) const {
  return "member" + std::to_string(i / member_params_) + "." + members_[0]->param_name(i % member_params_);
}

int64_t Mixture::coordinate(int64_t i) const { return members_[0]->coordinate(i % member_params_); }

int64_t Mixture::member_of(double e) const {
  const double u = 0.5 * std::erfc(-e / std::sqrt(2.0));  // Phi(e), in [0, 1]
  const int64_t k = static_cast<int64_t>(std::floor(u * static_cast<double>(members_.size())));
  return std::clamp<int64_t>(k, 0, members() - 1);
}

void Mixture::sample_z(const double* eps, double* z, int64_t S) const {
  sync();
  const int64_t E = noise_dim();
  for (int64_t s = 0; s < S; ++s) {
    const double* e = eps + s * E;
    members_[static_cast<size_t>(member_of(e[member_noise_]))]->sample_z(e, z + s * d_, 1);
  }
}

double Mixture::log_density(const double* z) const {
  sync();
  // log (1/K) sum_k q_k(z), from the largest term.
  std::vector<double> terms(members_.size());
  double top = -INFINITY;
  for (size_t k = 0; k < members_.size(); ++k) {
    terms[k] = members_[k]->log_density(z);
    top = std::max(top, terms[k]);
  }
  if (!std::isfinite(top)) return top;
  double sum = 0;
  for (double t : terms) sum += std::exp(t - top);
  return top + std::log(sum / static_cast<double>(members_.size()));
}

double Mixture::logq_from_eps(const double* eps) const {
  std::vector<double> z(static_cast<size_t>(d_));
  sample_z(eps, z.data(), 1);
  return log_density(z.data());
}

void Mixture::backward(const double*, const double*, const double*, int64_t, double, double*) const {
  throw InvalidArgument("the " + kind() + " approximation is fitted member by member, not as a whole: fit each "
                        "member, then combine them in a Mixture");
}

void Mixture::gradient(const double* eps, const double* dlogp_dz, int64_t S, double scale, double c, double beta,
                       double* grad) const {
  (void)dlogp_dz, (void)c, (void)beta;
  backward(eps, nullptr, nullptr, S, scale, grad);
}

double Mixture::entropy() const {
  const int64_t E = noise_dim();
  std::vector<double> eps(static_cast<size_t>(E)), z(static_cast<size_t>(d_));
  const Philox rng(0);
  double sum = 0;
  for (int64_t n = 0; n < kEntropyDraws; ++n) {
    rng.normal(eps.data(), E, kEntropyStream, 0, n * E);
    sample_z(eps.data(), z.data(), 1);
    sum += log_density(z.data());
  }
  return -sum / static_cast<double>(kEntropyDraws);
}

std::vector<double> Mixture::mean() const {
  sync();
  std::vector<double> m(static_cast<size_t>(d_), 0.0);
  for (const auto& member : members_) {
    const std::vector<double> mk = member->mean();
    for (int64_t i = 0; i < d_; ++i) m[i] += mk[i];
  }
  for (double& v : m) v /= static_cast<double>(members_.size());
  return m;
}

// Var z_i = (1/K) sum_k (sd_ki^2 + mean_ki^2) - mean_i^2, the second moment's terms added
// as deviations from the mixture's mean (no cancellation).
std::vector<double> Mixture::sd() const {
  sync();
  const std::vector<double> m = mean();
  std::vector<double> var(static_cast<size_t>(d_), 0.0);
  for (const auto& member : members_) {
    const std::vector<double> mk = member->mean(), sk = member->sd();
    for (int64_t i = 0; i < d_; ++i) var[i] += sk[i] * sk[i] + (mk[i] - m[i]) * (mk[i] - m[i]);
  }
  for (double& v : var) v = std::sqrt(v / static_cast<double>(members_.size()));
  return var;
}

Tensor Mixture::cov() const {
  sync();
  const std::vector<double> m = mean();
  Tensor c(DType::f64, {d_, d_});
  std::vector<double> acc(static_cast<size_t>(d_ * d_), 0.0);
  for (const auto& member : members_) {
    const Tensor ck = member->cov();
    const std::vector<double> mk = member->mean();
    for (int64_t i = 0; i < d_; ++i)
      for (int64_t j = 0; j < d_; ++j) acc[i * d_ + j] += ck[i * d_ + j] + (mk[i] - m[i]) * (mk[j] - m[j]);
  }
  for (int64_t i = 0; i < d_ * d_; ++i) c.set(i, acc[i] / static_cast<double>(members_.size()));
  return c;
}

}  // namespace elbo
