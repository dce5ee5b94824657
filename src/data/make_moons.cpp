#include "elbo/data/make_moons.hpp"

#include <cmath>
#include <numbers>
#include <sstream>
#include <vector>

#include "elbo/data/random_permutation.hpp"
#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"

namespace elbo::data {

namespace {
// Philox streams of make_moons; any seed gives independent shuffle and noise.
constexpr uint64_t shuffle_stream = 0x6d6f6f6e73000001;  // "moons" 1
constexpr uint64_t noise_stream = 0x6d6f6f6e73000002;

// numpy.linspace(0, pi, n)[i]: i * step, with the last point exactly pi.
double linspace_pi(int64_t i, int64_t n) {
  if (n > 1 && i == n - 1) return std::numbers::pi;
  const double step = n > 1 ? std::numbers::pi / static_cast<double>(n - 1) : 0.0;
  return static_cast<double>(i) * step;
}

[[noreturn]] void bad_argument(const char* name, double value, const char* expected) {
  std::ostringstream s;
  s << "make_moons: argument '" << name << "' is " << value << ", but must be " << expected;
  throw InvalidArgument(s.str());
}
}  // namespace

Dataset make_moons(const MoonsOptions& options) {
  const int64_t n = options.n_samples;
  if (n < 1) bad_argument("n_samples", static_cast<double>(n), "positive");
  if (!(options.noise >= 0.0) || !std::isfinite(options.noise))
    bad_argument("noise", options.noise, "finite and non-negative");

  const int64_t n_out = n / 2, n_in = n - n_out;
  std::vector<double> x(static_cast<size_t>(2 * n)), y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n_out; ++i) {
    const double t = linspace_pi(i, n_out);
    x[static_cast<size_t>(2 * i)] = std::cos(t);
    x[static_cast<size_t>(2 * i + 1)] = std::sin(t);
    y[static_cast<size_t>(i)] = 0.0;
  }
  for (int64_t i = 0; i < n_in; ++i) {
    const double t = linspace_pi(i, n_in);
    const auto r = static_cast<size_t>(n_out + i);
    x[2 * r] = 1.0 - std::cos(t);
    x[2 * r + 1] = 1.0 - std::sin(t) - 0.5;
    y[r] = 1.0;
  }

  // scikit-learn shuffles first, then adds noise; so do we. The draws come from Philox, not
  // numpy's generator, so for a given seed the points differ from scikit-learn's.
  std::vector<int64_t> order;
  if (options.shuffle) order = random_permutation(n, options.seed, shuffle_stream);
  std::vector<double> noise;
  if (options.noise > 0.0) {
    noise.resize(static_cast<size_t>(2 * n));
    Philox(options.seed).normal(noise.data(), 2 * n, noise_stream, 0);
  }

  Dataset d{Tensor(options.dtype, Shape{n, 2}), Tensor(options.dtype, Shape{n}), {"x1", "x2"},
            "y"};
  for (int64_t r = 0; r < n; ++r) {
    const auto src = static_cast<size_t>(options.shuffle ? order[static_cast<size_t>(r)] : r);
    for (int64_t c = 0; c < 2; ++c) {
      double v = x[2 * src + static_cast<size_t>(c)];
      if (!noise.empty()) v += options.noise * noise[static_cast<size_t>(2 * r + c)];
      d.x.set(2 * r + c, v);
    }
    d.y.set(r, y[src]);
  }
  return d;
}

}  // namespace elbo::data
