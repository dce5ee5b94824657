#pragma once
// Elementwise kernels over whole packets plus one padded tail packet.
#include <Eigen/Core>

#include <algorithm>
#include <cstdint>

namespace elbo {

// Eigen runs a dynamic-size array expression with scalar steps until the destination is
// aligned, then packets, then scalar steps for the rest; its scalar and packet versions of
// exp, log, tanh... can differ in the last bit. A result would then depend on where the
// buffer lies: a sample's block inside an [S, ...] buffer, or one program's buffer against
// another's. So the kernels see the data as columns of exactly one packet (unaligned
// loads, no peeling) and the remainder as one padded packet: every element takes the same
// path wherever it lies, and results are bitwise reproducible.
template <class T>
constexpr int kPacket = Eigen::internal::packet_traits<T>::size;
template <class T>
using Packets = Eigen::Array<T, kPacket<T>, Eigen::Dynamic>;

// The remainder of n elements after whole packets, copied into one padded packet (padding
// 1, inside every unary function's domain) that the kernels map like the whole ones.
template <class T>
struct Tail {
  alignas(64) T v[kPacket<T>];
  Tail(const T* p, int64_t n) {
    std::fill(v, v + kPacket<T>, T(1));
    std::copy(p + n / kPacket<T> * kPacket<T>, p + n, v);
  }
  Eigen::Map<Packets<T>> map() { return {v, kPacket<T>, 1}; }
};

}  // namespace elbo
