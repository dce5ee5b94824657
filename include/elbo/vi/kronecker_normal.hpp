#pragma once
// A Gaussian whose covariance is block diagonal with Kronecker-factored blocks: what the
// Kronecker-factored (K-FAC) Laplace approximation of a network gives (Ritter, Botev &
// Barber 2018; laplace-torch's KronLaplace). A block covers a layer's weights W [rows, cols]
// (row-major in the flat vector, a bias row appended as the last row) and its precision
// is diagonal in the basis QA (x) QG of the two factors' eigenvectors: with E the block's
// standard normal noise as a [rows, cols] matrix and S its scales,
//     W = M + QA (S .* E) QG^T,
// so the block's covariance is (QA (x) QG) diag(vec(S)^2) (QA (x) QG)^T. Coordinates outside
// every block are independent normals with their own sd (a diagonal rest).
//
// Parameters, flat: mu [D], the scales s [D] (a block's eigen-direction scales at its
// coordinates, else the coordinate's sd), then per block QA [rows, rows] and QG [cols, cols],
// row-major and orthonormal. It is the result of a fit (fit_laplace with hessian "kron"), not
// something steps train: backward() throws (the eigenvectors must stay orthonormal for
// log q to hold).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

/// A block's place: flat offset and the matrix's rows and columns.
struct KroneckerBlock {
  int64_t offset = 0, rows = 0, cols = 0;
};

class KroneckerNormal final : public Approximation {
 public:
  /// mu [D], the blocks (in increasing offset, not overlapping, inside [0, D)); every
  /// scale 1 and every QA, QG the identity. Throws InvalidArgument for bad blocks.
  KroneckerNormal(std::span<const double> mu, std::vector<KroneckerBlock> blocks);

  /// "kron:OFFSETxROWSxCOLS,..." ("kron:" alone when there are no blocks).
  std::string kind() const override;
  /// The blocks of a kind's option ("0x3x5,15x6x1"); throws InvalidArgument when malformed.
  static std::vector<KroneckerBlock> parse_blocks(const std::string& option);
  /// The parameter count over dim coordinates; -1 when the blocks do not fit in dim.
  static int64_t param_count(const std::vector<KroneckerBlock>& blocks, int64_t dim);

  int64_t dim() const override { return d_; }
  const std::vector<KroneckerBlock>& blocks() const { return blocks_; }
  std::span<double> params() override { return params_; }
  std::span<const double> params() const override { return params_; }
  /// "mu[i]", "s[i]", "QA<b>[r,c]", "QG<b>[r,c]" (b the block's index).
  std::string param_name(int64_t i) const override;
  int64_t coordinate(int64_t i) const override { return i < 2 * d_ ? i % d_ : -1; }

  /// Setters for the fit that makes it: the scale at flat coordinate i, and block b's
  /// factors' eigenvectors (row-major, rows^2 and cols^2 values).
  void set_scale(int64_t i, double s) { params_[static_cast<size_t>(d_ + i)] = s; }
  void set_factors(size_t b, std::span<const double> qa, std::span<const double> qg);

  void sample_z(const double* eps, double* z, int64_t S) const override;
  double logq_from_eps(const double* eps) const override;
  double log_density(const double* z) const override;
  /// Throws InvalidArgument: a fitted Laplace q, not trained by steps.
  void backward(const double* eps, const double* dz, const double* dlogq, int64_t S, double scale,
                double* grad) const override;
  double entropy() const override;
  std::vector<double> mean() const override;
  std::vector<double> sd() const override;
  /// Dense [D, D]; InvalidArgument above 20,000 coordinates (it would not fit in memory).
  Tensor cov() const override;
  void linear_variance(const double* j, int64_t n, double* out) const override;
  std::unique_ptr<Approximation> clone() const override { return std::make_unique<KroneckerNormal>(*this); }

 private:
  // Where block b's QA and QG start in params_.
  size_t qa_at(size_t b) const { return factor_at_[b]; }
  size_t qg_at(size_t b) const {
    return factor_at_[b] + static_cast<size_t>(blocks_[b].rows * blocks_[b].rows);
  }
  double sum_log_scales() const;

  int64_t d_;
  std::vector<KroneckerBlock> blocks_;
  std::vector<size_t> factor_at_;
  std::vector<char> in_block_;  // [D]: whether coordinate i belongs to a block
  std::vector<double> params_;
};

}  // namespace elbo
ELBO_API_END
