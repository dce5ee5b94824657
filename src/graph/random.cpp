#include "elbo/graph/random.hpp"

#include <Random123/philox.h>

#include <cmath>
#include <algorithm>
#include <numbers>
#include <string>

#include "elbo/graph/error.hpp"
#include "normal_draws.hpp"

namespace elbo {

namespace {
using Gen = r123::Philox4x32;

// Block b of (seed, stream, counter): four 32-bit words.
Gen::ctr_type block(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t b) {
  Gen gen;
  Gen::key_type key = {{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)}};
  Gen::ctr_type ctr = {{b, static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32),
                        static_cast<uint32_t>(stream)}};
  return gen(ctr, key);
}

// (0, 1) with 53 random bits, never 0 or 1.
double open_unit(uint32_t hi, uint32_t lo) {
  uint64_t v = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  v &= (uint64_t{1} << 53) - 1;
  return (static_cast<double>(v) + 0.5) * 0x1.0p-53;
}
}  // namespace

void Philox::bits(uint32_t* out, int64_t n, uint64_t stream, uint64_t counter) const {
  for (int64_t i = 0; i < n; i += 4) {
    auto r = block(seed_, stream, counter, static_cast<uint32_t>(i / 4));
    for (int64_t j = 0; j < 4 && i + j < n; ++j) out[i + j] = r[j];
  }
}

template <class T>
void Philox::uniform(T* out, int64_t n, uint64_t stream, uint64_t counter) const {
  for (int64_t i = 0; i < n; i += 2) {
    auto r = block(seed_, stream, counter, static_cast<uint32_t>(i / 2));
    out[i] = static_cast<T>(open_unit(r[0], r[1]));
    if (i + 1 < n) out[i + 1] = static_cast<T>(open_unit(r[2], r[3]));
    if constexpr (std::is_same_v<T, float>) {
      // Rounding to float can reach 1; keep the interval open.
      for (int64_t j = i; j < i + 2 && j < n; ++j)
        if (out[j] >= 1.0f) out[j] = std::nextafter(1.0f, 0.0f);
    }
  }
}

template <class T>
void Philox::normal(T* out, int64_t n, uint64_t stream, uint64_t counter) const {
  normal(out, n, stream, counter, 0);
}

// Element j of the sequence is the cosine (j even) or sine (j odd) half of Box-Muller
// pair j / 2, which comes from Philox block j / 2 (normal_draws.hpp computes the pairs).
template <class T>
void Philox::normal(T* out, int64_t n, uint64_t stream, uint64_t counter, int64_t first) const {
  if (n <= 0) return;
  const int64_t end = first + n;
  // Pair indices are Philox's 32-bit block counter: 2^32 pairs per (stream, counter).
  constexpr int64_t kMaxDraws = int64_t{1} << 33;
  if (first < 0 || end > kMaxDraws)
    throw InvalidArgument("Philox::normal: draws [" + std::to_string(first) + ", " + std::to_string(end) +
                          ") are outside the 2^33 draws of one (stream, counter)");
  constexpr int64_t kChunk = 256;  // pairs per call: 4 KiB of doubles on the stack at most
  // float: computed in single precision (normal_draws.hpp), double: in double.
  alignas(32) T pairs[2 * kChunk];
  for (int64_t p0 = first / 2; 2 * p0 < end; p0 += kChunk) {
    const int64_t np = std::min(kChunk, (end + 1) / 2 - p0);
    detail::normal_pairs(seed_, stream, counter, static_cast<uint32_t>(p0), np, pairs);
    const int64_t j0 = std::max(2 * p0, first), j1 = std::min(2 * (p0 + np), end);
    std::copy(pairs + (j0 - 2 * p0), pairs + (j1 - 2 * p0), out + (j0 - first));
  }
}

template void Philox::uniform<float>(float*, int64_t, uint64_t, uint64_t) const;
template void Philox::uniform<double>(double*, int64_t, uint64_t, uint64_t) const;
template void Philox::normal<float>(float*, int64_t, uint64_t, uint64_t) const;
template void Philox::normal<double>(double*, int64_t, uint64_t, uint64_t) const;
template void Philox::normal<float>(float*, int64_t, uint64_t, uint64_t, int64_t) const;
template void Philox::normal<double>(double*, int64_t, uint64_t, uint64_t, int64_t) const;

Tensor Philox::normal(DType dtype, const Shape& shape, uint64_t stream, uint64_t counter) const {
  Tensor t(dtype, shape);
  if (dtype == DType::f32)
    normal(t.data<float>(), t.numel(), stream, counter);
  else
    normal(t.data<double>(), t.numel(), stream, counter);
  return t;
}

Tensor Philox::uniform(DType dtype, const Shape& shape, uint64_t stream, uint64_t counter) const {
  Tensor t(dtype, shape);
  if (dtype == DType::f32)
    uniform(t.data<float>(), t.numel(), stream, counter);
  else
    uniform(t.data<double>(), t.numel(), stream, counter);
  return t;
}

}  // namespace elbo
