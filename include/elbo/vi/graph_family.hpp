#pragma once
// A variational family written as graph expressions: a subclass says how one draw z [D]
// is made from standard normal noise eps and the variational parameters, and what log q(z)
// is; the engine's reverse-mode AD then gives every gradient (no hand derivation). The
// parameters come in named blocks of any shape; params() is their concatenation, each
// block row-major.
//
// PyMC's cost_part_grad_scale: build() also gets each block wrapped in scale_gradient
// ("direct"), to be used where log q depends on the parameters other than through z, so
// that the engine scales exactly that part of the gradient. A family whose log q cannot
// be written as a function of z (a flow without a closed-form inverse) writes it from eps
// and says separates_score_part() == false.
//
// One compiled program per object serves sample_z, sample and backward (a backward pass
// from the values of the draw just made, Program::backward); it is built on first use and
// rebuilt by a copy. Not safe to use one object from two threads at once.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/graph.hpp"
#include "elbo/graph/shape.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

class Program;

/// One named block of variational parameters.
struct ParameterBlock {
  std::string name;  ///< "mu", "rho", "W", "planar0.u": parameter names are name[i] / name[i,j]
  Shape shape;
  std::vector<double> init;  ///< row-major initial values, numel(shape) of them
  /// Whether the block's first axis runs over z's coordinates (mu [D], W [D, K]): then
  /// coordinate() of its entries is that index; else -1.
  bool per_coordinate = false;
};

/// z and log q(z) of one draw, as build() returns them.
struct FamilyExpressions {
  Expr z;     ///< [D]
  Expr logq;  ///< a scalar
};

class GraphFamily : public Approximation {
 public:
  ~GraphFamily() override;

  int64_t dim() const override { return d_; }
  int64_t noise_dim() const override { return noise_; }
  std::span<double> params() override { return params_; }
  std::span<const double> params() const override { return params_; }
  std::string param_name(int64_t i) const override;
  int64_t coordinate(int64_t i) const override;
  void sample_z(const double* eps, double* z, int64_t S) const override;
  double logq_from_eps(const double* eps) const override;
  void sample(const double* eps, double* z, double* logq, int64_t S) const override;
  void backward(const double* eps, const double* dz, const double* dlogq, int64_t S, double scale,
                double* grad) const override;

  /// Fixed-seed Monte Carlo estimates from kMomentDraws draws (overridden where q has a
  /// closed form).
  double entropy() const override;
  std::vector<double> mean() const override;
  std::vector<double> sd() const override;
  Tensor cov() const override;
  static constexpr int64_t kMomentDraws = 4096;

  const std::vector<ParameterBlock>& blocks() const { return blocks_; }

 protected:
  GraphFamily(int64_t dim, int64_t noise_dim, std::vector<ParameterBlock> blocks);
  GraphFamily(const GraphFamily& other);
  GraphFamily& operator=(const GraphFamily&) = delete;

  /// Builds one draw: eps is [noise_dim()], theta[b] the expression of block b and
  /// direct[b] the same wrapped in scale_gradient (see above).
  virtual FamilyExpressions build(Graph& graph, Expr eps, std::span<const Expr> theta,
                                  std::span<const Expr> direct) const = 0;

 private:
  struct Compiled;
  Compiled& compiled() const;
  // Runs the program forward on eps [S, noise] and the current parameters, unless its
  // last forward ran on exactly these.
  void forward(const double* eps, int64_t S) const;
  void moments(std::vector<double>* mean, Tensor* cov, double* entropy) const;
  void check_index(int64_t i, const char* fn) const;

  int64_t d_, noise_;
  std::vector<ParameterBlock> blocks_;
  std::vector<int64_t> block_offset_;  // start of each block in params_
  std::vector<double> params_;
  mutable std::unique_ptr<Compiled> compiled_;
};

}  // namespace elbo
ELBO_API_END
