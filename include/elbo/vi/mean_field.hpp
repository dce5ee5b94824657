#pragma once
// Mean-field Gaussian q(z) = prod_i N(mu_i, sigma_i^2), sigma = softplus(rho). PyMC's
// MeanField: mu starts at the model's initial point and rho at 0 (sigma = ln 2).
#include "elbo/export.hpp"
#include "elbo/vi/approximation.hpp"

#include <functional>
#include <utility>

ELBO_API_BEGIN
namespace elbo {

class MeanField : public Approximation {
 public:
  /// params() = [mu (D), rho (D)].
  explicit MeanField(std::span<const double> mu, double start_sigma = 0.0);
  /// As above with per-coordinate initial sigma (must be positive).
  MeanField(std::span<const double> mu, std::span<const double> sigma);
  /// Copies take the parameters and the cached terms, never the threads lent by an
  /// Inference (set_parallel): those die with it.
  MeanField(const MeanField& other) : MeanField(other, 0) {}
  MeanField& operator=(const MeanField& other) {
    MeanField copy(other);
    std::swap(*this, copy);
    return *this;
  }
  MeanField(MeanField&&) noexcept = default;
  MeanField& operator=(MeanField&&) noexcept = default;

  std::string kind() const override { return "meanfield"; }
  int64_t dim() const override { return d_; }
  /// (While a float32 fit's single-precision state is ahead, both widen it first, and the
  /// writable one marks that state stale: see single_params().)
  std::span<double> params() override;
  std::span<const double> params() const override;
  std::string param_name(int64_t i) const override;
  int64_t coordinate(int64_t i) const override { return i < d_ ? i : i - d_; }
  void sample_z(const double* eps, double* z, int64_t S) const override;
  double logq_from_eps(const double* eps) const override;
  double log_density(const double* z) const override;
  void sample(const double* eps, double* z, double* logq, int64_t S) const override;
  void gradient(const double* eps, const double* dlogp_dz, int64_t S, double scale, double c, double beta,
                double* grad) const override;
  void backward(const double* eps, const double* dz, const double* dlogq, int64_t S, double scale,
                double* grad) const override;
  double entropy() const override;
  std::vector<double> mean() const override;
  std::vector<double> sd() const override;
  Tensor cov() const override;
  void linear_variance(const double* j, int64_t n, double* out) const override;
  std::unique_ptr<Approximation> clone() const override { return std::make_unique<MeanField>(*this); }
  /// f32: sigma, 1 / sigma, log sigma and sigmoid(rho) in single precision (eight lanes at a
  /// time); f64 (the default): in double.
  void set_draw_dtype(DType dtype) override;
  void set_parallel(ParallelFor parallel) override { parallel_ = std::move(parallel); }
  /// The single-precision state of a float32 fit's fused step (src/vi/mean_field_adam_step.cpp):
  /// [mu, rho] in float, rounded from params() when they changed since. The step writes a
  /// step's new values to a buffer of its own and swaps them in with swap_single_params();
  /// from then on the float values are the parameters, and params() (and every method that
  /// reads them) sees them widened, exactly. The buffer keeps the old values.
  std::span<const float> single_params();
  /// (`values` must have params()'s size: ShapeError otherwise.)
  void swap_single_params(std::vector<float>& values);
  /// The unit of the per-parameter sums (log sigma, the squares of the noise): they are
  /// added within chunks of this many parameters, the chunks in order, for any thread count.
  /// Small enough that two threads share a digits network's 3,466 weights (4 chunks) and
  /// 89,610 weights 44:44 (chunks of 2^15 gave 1:2, of 2^13 5:6).
  static constexpr int64_t kTermsChunk = int64_t{1} << 10;

 private:
  // The copy behind the copy constructor: every member but parallel_.
  MeanField(const MeanField& other, int)
      : Approximation(other),
        d_(other.d_),
        params_(other.params().begin(), other.params().end()),
        rho_seen_(other.rho_seen_),
        sigma_(other.sigma_),
        inv_sigma_(other.inv_sigma_),
        dsigma_(other.dsigma_),
        log_sigma_sum_(other.log_sigma_sum_),
        chunk_sums_(other.chunk_sums_),
        single_precision_terms_(other.single_precision_terms_) {}
  /// sigma, log sigma and sigmoid(rho), recomputed only when rho changed (the optimizer
  /// writes params() directly, so the cache compares its copy of rho).
  void refresh() const;
  // params_ from single_ where single_ is ahead (a float32 fit's fused steps wrote it).
  void settle() const;
  // logq_from_eps once refresh() has run (sample() calls it without a second check of rho).
  double logq_after_refresh(const double* eps) const;
  int64_t d_;
  mutable std::vector<double> params_;  // mutable: settle() widens single_ into it
  // The fused step's float [mu, rho]; ahead: newer than params_; stale: params_ newer.
  mutable std::vector<float> single_;
  mutable bool single_ahead_ = false;
  bool single_stale_ = true;
  mutable std::vector<double> rho_seen_, sigma_, inv_sigma_, dsigma_;
  mutable double log_sigma_sum_ = 0;  // sum of log sigma, for logq_from_eps
  mutable std::vector<double> chunk_sums_;
  bool single_precision_terms_ = false;
  ParallelFor parallel_;
  // Elementwise work over n parameters, split by parallel_ from 2^15 of them.
  template <class F>
  void for_elements(int64_t n, F f) const {
    if (parallel_ && n >= (int64_t{1} << 15))
      parallel_(n, std::ref(f));
    else
      f(int64_t{0}, n);
  }
};

}  // namespace elbo
ELBO_API_END
