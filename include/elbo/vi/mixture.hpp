#pragma once
// An equal-weight mixture q(z) = (1/K) sum_k q_k(z) of K fitted approximations of one
// family: an ensemble of variational fits from different starts (deep ensembles,
// Lakshminarayanan et al. 2017, with each member a posterior approximation). Its members
// are fitted one by one (the CLI's `elbo fit --ensemble K`); the mixture draws, has a
// density for PSIS k-hat, and is saved and loaded as one approximation of kind
// "mixture:K:MEMBER_KIND".
//
// A draw takes one more standard normal than a member's: its normal CDF picks the member
// (uniform over the K), the rest make the member's draw. log q(z) is the log of the mean of
// the members' densities at z, so every member needs log_density (MeanField, FullRank).
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

class Mixture : public Approximation {
 public:
  /// The members, all of one kind and dimension; at least one. Throws InvalidArgument when
  /// they differ or a member has no log_density.
  explicit Mixture(std::vector<std::unique_ptr<Approximation>> members);
  Mixture(const Mixture& other);
  Mixture& operator=(const Mixture&) = delete;

  std::string kind() const override;
  int64_t dim() const override { return d_; }
  int64_t noise_dim() const override { return member_noise_ + 1; }
  /// The members' parameters one after the other. Writes through this span reach the
  /// members at the next draw or density (the mixture copies them in then).
  std::span<double> params() override;
  std::span<const double> params() const override { return params_; }
  std::string param_name(int64_t i) const override;
  int64_t coordinate(int64_t i) const override;
  void sample_z(const double* eps, double* z, int64_t S) const override;
  double logq_from_eps(const double* eps) const override;
  double log_density(const double* z) const override;
  /// Not fitted as a whole: throws InvalidArgument (fit the members, then combine them).
  void backward(const double* eps, const double* dz, const double* dlogq, int64_t S, double scale,
                double* grad) const override;
  void gradient(const double* eps, const double* dlogp_dz, int64_t S, double scale, double c, double beta,
                double* grad) const override;
  /// A Monte Carlo estimate, -mean log q over 4000 draws of a fixed seed.
  double entropy() const override;
  std::vector<double> mean() const override;
  std::vector<double> sd() const override;
  Tensor cov() const override;
  std::unique_ptr<Approximation> clone() const override { return std::make_unique<Mixture>(*this); }

  int64_t members() const { return static_cast<int64_t>(members_.size()); }
  /// Member k (its parameters as the mixture's last draw or density saw them).
  const Approximation& member(int64_t k) const;
  /// The member a draw's extra noise value e picks: floor(K Phi(e)), at most K - 1.
  int64_t member_of(double e) const;

 private:
  // Copies params_ into the members if params() was handed out since the last copy.
  void sync() const;
  int64_t d_ = 0, member_noise_ = 0, member_params_ = 0;
  std::vector<std::unique_ptr<Approximation>> members_;
  std::vector<double> params_;
  mutable std::mutex sync_mutex_;
  mutable bool dirty_ = false;
};

}  // namespace elbo
ELBO_API_END
