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

// One SIMD register's worth of T as the compiler's vector type, for inner loops whose
// accumulators must stay in registers: a fixed-size Eigen array of several packets is a
// struct that GCC keeps on the stack, so every FMA into it went through a store and a
// reload (a 50-row matmul ran at a third of its speed; docs/PERFORMANCE.md).
template <class T>
using Vec = typename Eigen::internal::packet_traits<T>::type;
template <class T>
inline Vec<T> vload(const T* p) {
  return Eigen::internal::ploadu<Vec<T>>(p);
}
template <class T>
inline void vstore(T* p, const Vec<T>& v) {
  Eigen::internal::pstoreu(p, v);
}
template <class T>
inline Vec<T> vbroadcast(T x) {
  return Eigen::internal::pset1<Vec<T>>(x);
}
template <class T>
inline Vec<T> vzero() {
  return Eigen::internal::pset1<Vec<T>>(T(0));
}
/// The sum of the lanes, in Eigen's fixed order. (GCC 12 warns that the AVX-512 extract
/// intrinsics Eigen reduces with read an uninitialised value: a false positive of GCC's
/// own header, _mm512_undefined_pd.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
template <class V>
inline auto vsum(const V& v) {
  return Eigen::internal::predux(v);
}
#pragma GCC diagnostic pop
/// a * b + c, fused (one rounding), as Eigen's array expressions compile it with FMA.
template <class V>
inline V vfma(const V& a, const V& b, const V& c) {
  return Eigen::internal::pmadd(a, b, c);
}

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
