#pragma once
// PyMC's adagrad_window written by hand (lr 1e-3, eps 0.1, window 10): each parameter
// keeps its last n_win squared gradients in a ring, and
//   p -= lr * g / sqrt(sum(window) + eps).
#include <cmath>
#include <cstdint>
#include <vector>

namespace elbo::bench {

class AdagradWindow {
 public:
  explicit AdagradWindow(int64_t n, double lr = 1e-3, double eps = 0.1, int n_win = 10)
      : lr_(lr), eps_(eps), n_win_(n_win), win_(static_cast<size_t>(n * n_win), 0.0) {}

  void step(double* p, const double* g, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      double* row = win_.data() + i * n_win_;
      row[slot_] = g[i] * g[i];
      double acc = 0;
      for (int k = 0; k < n_win_; ++k) acc += row[k];
      p[i] -= lr_ * g[i] / std::sqrt(acc + eps_);
    }
    slot_ = slot_ + 1 < n_win_ ? slot_ + 1 : 0;
  }

 private:
  double lr_, eps_;
  int n_win_;
  int slot_ = 0;
  std::vector<double> win_;
};

}  // namespace elbo::bench
