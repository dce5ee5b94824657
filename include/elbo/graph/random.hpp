#pragma once
// Counter-based random numbers (Philox4x32-10, Random123). Every value is a pure function
// of (seed, stream, counter, position), so draws are reproducible, independent of thread
// count and of the order in which they are taken, and the scheme carries over to a GPU.
#include <cstdint>

#include "elbo/export.hpp"
#include "elbo/graph/shape.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo {

class Philox {
 public:
  explicit Philox(uint64_t seed) : seed_(seed) {}
  uint64_t seed() const { return seed_; }

  /// Standard normal draws into out[0..n), by Box-Muller. `stream` separates uses (one
  /// per purpose), `counter` separates calls (for example the optimisation step).
  /// T = float is computed in single precision and is a different sequence from T = double
  /// (not the double draws rounded); its draws lie within radius 6.66 (each pair's radius
  /// sqrt(-2 log u) with u >= 2^-32). At most 2^33 draws per (stream, counter): more throws.
  template <class T>
  void normal(T* out, int64_t n, uint64_t stream, uint64_t counter) const;
  /// Elements [first, first + n) of the draws normal(out, first + n, stream, counter)
  /// makes, bitwise the same: a long sequence can be drawn in parts, on several threads.
  template <class T>
  void normal(T* out, int64_t n, uint64_t stream, uint64_t counter, int64_t first) const;
  /// Uniform draws on the open interval (0, 1).
  template <class T>
  void uniform(T* out, int64_t n, uint64_t stream, uint64_t counter) const;
  /// Raw 32-bit words.
  void bits(uint32_t* out, int64_t n, uint64_t stream, uint64_t counter) const;

  Tensor normal(DType dtype, const Shape& shape, uint64_t stream, uint64_t counter) const;
  Tensor uniform(DType dtype, const Shape& shape, uint64_t stream, uint64_t counter) const;

 private:
  uint64_t seed_;
};

}  // namespace elbo
ELBO_API_END
