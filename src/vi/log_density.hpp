#pragma once
// log p and its gradient at S flat unconstrained points, as doubles, whatever the model's
// precision (a float32 model is run in float and widened): the optimisers' view of a model
// (Laplace, Pathfinder).
#include <vector>

#include "elbo/model/logp_program.hpp"

namespace elbo::detail {

class LogDensity {
 public:
  LogDensity(const Model& model, int threads);
  int64_t dim() const { return logp_.flat_size(); }
  /// theta [S, D]; writes log p [S] and, when grad is not null, d log p / d theta [S, D].
  void run(int64_t S, const double* theta, double* logp, double* grad);

 private:
  const Model& model_;
  LogpProgram logp_;
  std::vector<float> theta32_, grad32_;
};

}  // namespace elbo::detail
