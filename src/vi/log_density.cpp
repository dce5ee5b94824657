#include "log_density.hpp"

#include <algorithm>

namespace elbo::detail {

LogDensity::LogDensity(const Model& model, int threads) : model_(model), logp_(model, ProgramOptions{threads}) {}

void LogDensity::run(int64_t S, const double* theta, double* logp, double* grad) {
  if (logp_.samples() != S) logp_.set_samples(S);
  const size_t n = static_cast<size_t>(S * logp_.flat_size());
  if (model_.dtype() == DType::f32) {
    theta32_.assign(theta, theta + n);
    grad32_.resize(grad ? n : 0);
    logp_.run<float>(theta32_.data(), grad ? grad32_.data() : nullptr);
    if (grad) std::copy(grad32_.begin(), grad32_.end(), grad);
  } else {
    logp_.run<double>(theta, grad);
  }
  for (int64_t s = 0; s < S; ++s) logp[s] = logp_.varlogp(s) + logp_.datalogp(s);
}

}  // namespace elbo::detail
