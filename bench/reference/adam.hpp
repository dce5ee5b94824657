#pragma once
// PyMC's adam written by hand (lr 1e-3 by default, b1 0.9, b2 0.999, eps 1e-8), the update
// of elbo's src/vi/optimizers.cpp: at step t = 1, 2, ...
//   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
//   p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps).
// The bias corrections use std::pow, as elbo does, so both give the same parameters.
#include <cmath>
#include <cstdint>
#include <vector>

namespace elbo::bench {

class Adam {
 public:
  explicit Adam(int64_t n, double lr = 1e-3, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8)
      : lr_(lr), b1_(b1), b2_(b2), eps_(eps), m_(static_cast<size_t>(n), 0.0), v_(static_cast<size_t>(n), 0.0) {}

  void step(double* p, const double* g, int64_t n) {
    const double t = static_cast<double>(++t_);
    const double a = lr_ * std::sqrt(1 - std::pow(b2_, t)) / (1 - std::pow(b1_, t));
    double* m = m_.data();
    double* v = v_.data();
    for (int64_t i = 0; i < n; ++i) {
      m[i] = b1_ * m[i] + (1 - b1_) * g[i];
      v[i] = b2_ * v[i] + (1 - b2_) * g[i] * g[i];
      p[i] -= a * m[i] / (std::sqrt(v[i]) + eps_);
    }
  }

  double learning_rate() const { return lr_; }

 private:
  double lr_, b1_, b2_, eps_;
  int64_t t_ = 0;
  std::vector<double> m_, v_;
};

}  // namespace elbo::bench
