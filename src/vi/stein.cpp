#include "elbo/vi/stein.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "elbo/graph/error.hpp"

namespace elbo {

double stein_direction(const double* x, const double* g, int64_t n, int64_t d, double temperature, double* phi,
                       SteinScratch& w) {
  if (n < 1 || d < 1 || !(temperature > 0) || !std::isfinite(temperature))
    throw InvalidArgument("stein_direction: arguments 'n' (" + std::to_string(n) + ") and 'd' (" + std::to_string(d) +
                          ") must be >= 1 and 'temperature' (" + std::to_string(temperature) +
                          ") positive and finite");
  const auto nn = static_cast<size_t>(n * n);
  w.sq.resize(nn);
  w.k.resize(nn);
  w.pairs.clear();
  for (int64_t i = 0; i < n; ++i) {
    w.sq[i * n + i] = 0;
    for (int64_t j = i + 1; j < n; ++j) {
      double s = 0;
      for (int64_t c = 0; c < d; ++c) {
        const double diff = x[i * d + c] - x[j * d + c];
        s += diff * diff;
      }
      w.sq[i * n + j] = w.sq[j * n + i] = s;
      w.pairs.push_back(s);
    }
  }
  double h = 1.0;
  if (!w.pairs.empty()) {
    const size_t mid = w.pairs.size() / 2;
    std::nth_element(w.pairs.begin(), w.pairs.begin() + static_cast<std::ptrdiff_t>(mid), w.pairs.end());
    double med = w.pairs[mid];
    if (w.pairs.size() % 2 == 0) med = 0.5 * (med + *std::max_element(w.pairs.begin(), w.pairs.begin() + static_cast<std::ptrdiff_t>(mid)));
    if (med > 0) h = med / std::log(static_cast<double>(n) + 1.0);
  }
  for (size_t e = 0; e < nn; ++e) w.k[e] = std::exp(-w.sq[e] / h);
  const double inv_n = 1.0 / static_cast<double>(n), inv_t = 1.0 / temperature, two_h = 2.0 / h;
  for (int64_t i = 0; i < n; ++i) {
    double* out = phi + i * d;
    std::fill(out, out + d, 0.0);
    for (int64_t j = 0; j < n; ++j) {
      const double kij = w.k[i * n + j];
      for (int64_t c = 0; c < d; ++c) out[c] += kij * (g[j * d + c] * inv_t + two_h * (x[i * d + c] - x[j * d + c]));
    }
    for (int64_t c = 0; c < d; ++c) out[c] *= inv_n;
  }
  return h;
}

}  // namespace elbo
