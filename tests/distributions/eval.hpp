#pragma once
// Shared by the distribution tests: build a distribution from numeric parameters and
// evaluate its log-density, with the parameters either constants or Program parameters.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "elbo/distributions.hpp"
#include "elbo/graph.hpp"

namespace elbo::testing {

using DistPtr = std::shared_ptr<const Distribution>;
using Factory = std::function<DistPtr(const std::vector<Expr>&)>;

/// log p(x) with every parameter a constant and x a constant (the folded path).
inline double logp_constant(const Factory& make, const std::vector<double>& params, double x,
                            DType dtype = DType::f64) {
  Graph g(dtype);
  std::vector<Expr> ps;
  for (double v : params) ps.push_back(g.scalar(v));
  Expr lp = make(ps)->logp(g.scalar(x));
  Program prog(g, {lp});
  prog.forward();
  return prog.output(0)[0];
}

/// The value and the gradient of log p(x) when the parameters selected by `random` (and
/// x, if random_x) are Program parameters: the composed, sampled path. Parameters not
/// selected stay constants; x not random is a data input.
struct Evaluated {
  double value;
  std::vector<double> grad;  // over the random parameters, then x
};

class LogpProgram {
 public:
  LogpProgram(const Factory& make, const std::vector<double>& params,
              const std::vector<bool>& random, double x, bool random_x)
      : g_(DType::f64) {
    std::vector<Expr> ps;
    for (size_t i = 0; i < params.size(); ++i) {
      if (random[i]) {
        ps.push_back(g_.parameter("theta" + std::to_string(i), {}));
        theta_.push_back(params[i]);
      } else {
        ps.push_back(g_.scalar(params[i]));
      }
    }
    Expr value = random_x ? g_.parameter("x", {}) : g_.data("x", Tensor::scalar(x));
    if (random_x) theta_.push_back(x);
    Expr lp = make(ps)->logp(value);
    prog_ = std::make_unique<Program>(g_, std::vector<Expr>{lp});
  }

  const std::vector<double>& theta() const { return theta_; }

  Evaluated at(const std::vector<double>& theta) {
    prog_->set_flat_params(theta.data());
    double seed[1] = {1.0};
    prog_->forward_backward(seed);
    Evaluated e;
    e.value = prog_->output(0)[0];
    e.grad.resize(theta.size());
    prog_->flat_gradient(e.grad.data());
    return e;
  }

 private:
  Graph g_;
  std::vector<double> theta_;
  std::unique_ptr<Program> prog_;
};

}  // namespace elbo::testing
