#pragma once
// Matrix products over the internal (feature-major) layout, for the matmul op and for
// matmul fused with an activation (matmul_activation_op.cpp). A matrix [N, K] is stored
// with its N rows contiguous per column, so C = A B runs as axpy loops over the rows: for
// narrow networks that is what makes it fast (docs/PERFORMANCE.md).
#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>
#include <utility>

#include "../index_loop.hpp"
#include "../kernel_threads.hpp"
#include "../layout.hpp"
#include "../packets.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

// GCC 12 reports its own AVX-512 intrinsics (_mm512_undefined_*) as reading uninitialised
// values once Eigen's packet tanh, exp and logistic are inlined into the kernels below: a
// false positive, silenced for this header's code only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace elbo::matmul_kernels {

// The vector registers of the instruction set this copy of the kernels is compiled for.
#ifdef __AVX512F__
inline constexpr int kVectorRegisters = 32;
#else
inline constexpr int kVectorRegisters = 16;
#endif

// P zeros then P ones: the P values from tail_mask() + r are zero but for the last r.
template <class T>
const T* tail_mask() {
  constexpr int P = kPacket<T>;
  alignas(64) static const auto table = [] {
    std::array<T, 2 * P> t{};
    for (int j = P; j < 2 * P; ++j) t[j] = T(1);
    return t;
  }();
  return table.data();
}

// sum_k a[k] b[k] with L partial sums by index, combined in a fixed order. A single
// running sum is a serial chain the compiler may not reorder (no vectorisation: the
// gradient of a weight, a dot product over the rows, ran one element at a time). The
// partials are indexed by position, not by address, so the result does not depend on
// where a and b lie (like reduce_ops.cpp's sum): bitwise reproducible.
// masked_tail: the last n % P terms through one packet that ends at n, its lanes before
// i multiplied by 0 (adding into lanes by a run-time index would store the packet and
// reload it, a store-forwarding stall). Otherwise they run as a scalar chain.
template <class T>
T dot(const T* a, const T* b, int64_t n, bool masked_tail) {
  constexpr int P = kPacket<T>, L = 4 * P;  // four independent chains for the FMA units
  using V = Vec<T>;
  using Eigen::internal::padd;
  V rest = vzero<T>();
  int64_t i = 0;
  if (n >= L) {  // short dots (a 50-row minibatch) skip the four-chain setup and its reduction
    V p0 = vzero<T>(), p1 = vzero<T>(), p2 = vzero<T>(), p3 = vzero<T>();
    for (; i + L <= n; i += L) {
      p0 = vfma(vload(a + i), vload(b + i), p0);
      p1 = vfma(vload(a + i + P), vload(b + i + P), p1);
      p2 = vfma(vload(a + i + 2 * P), vload(b + i + 2 * P), p2);
      p3 = vfma(vload(a + i + 3 * P), vload(b + i + 3 * P), p3);
    }
    rest = padd(padd(p0, p1), padd(p2, p3));
  }
  for (; i + P <= n; i += P) rest = vfma(vload(a + i), vload(b + i), rest);
  if (masked_tail && i < n && n >= P) {
    const int64_t rem = n - i;
    rest = vfma(Eigen::internal::pmul(vload(a + n - P), vload(b + n - P)), vload(tail_mask<T>() + rem), rest);
    i = n;
  }
  T tail = 0;
  for (; i < n; ++i) tail += a[i] * b[i];
  return vsum(rest) + tail;  // fixed-size reduction, then the tail: always the same order
}

// The masked tail multiplies lanes already counted by 0, and inf * 0 is NaN: a
// non-finite result is computed again with the scalar tail (the same value when finite
// products are all there is; inf stays inf).
template <class T>
T dot(const T* a, const T* b, int64_t n) {
  const T r = dot(a, b, n, true);
  return std::isfinite(r) ? r : dot(a, b, n, false);
}

// The NB x MB dot products a_i . b_j (i < NB, j < MB; each of length n, a_i = a[i], b_j =
// b[j]) at once: each packet of a_i and of b_j is loaded once for all products that use
// it, and the NB * MB chains are independent. The weight gradient of a narrow layer, A^T dC
// over the rows, is such a block (a 50-row minibatch: 25 dots of 50 for a 5 x 5 weight).
// Each product's terms meet in the same order as dot()'s single-packet path with the
// masked tail, so a result does not depend on the block it was computed in; a non-finite
// one is computed again by dot() (the masked tail's inf * 0).
template <class T, int NB, int MB>
[[gnu::noinline]] void dot_block(const T* const* a, const T* const* b, int64_t n, T* out /* [NB][MB] */) {
  constexpr int P = kPacket<T>;
  using V = Vec<T>;
  V acc[NB][MB];
#pragma GCC unroll 8
  for (int i = 0; i < NB; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < MB; ++j) acc[i][j] = vzero<T>();
  int64_t k = 0;
  for (; k + P <= n; k += P) {
    V bp[MB];
#pragma GCC unroll 8
    for (int j = 0; j < MB; ++j) bp[j] = vload(b[j] + k);
#pragma GCC unroll 8
    for (int i = 0; i < NB; ++i) {
      const V ap = vload(a[i] + k);
#pragma GCC unroll 8
      for (int j = 0; j < MB; ++j) acc[i][j] = vfma(ap, bp[j], acc[i][j]);
    }
  }
  if (k < n) {  // n >= P here (the caller's condition): the last packet, lanes before k masked
    const V mask = vload(tail_mask<T>() + (n - k));
    V bp[MB];
#pragma GCC unroll 8
    for (int j = 0; j < MB; ++j) bp[j] = vload(b[j] + n - P);
#pragma GCC unroll 8
    for (int i = 0; i < NB; ++i) {
      const V ap = vload(a[i] + n - P);
#pragma GCC unroll 8
      for (int j = 0; j < MB; ++j) acc[i][j] = vfma(Eigen::internal::pmul(ap, bp[j]), mask, acc[i][j]);
    }
  }
  for (int i = 0; i < NB; ++i)
    for (int j = 0; j < MB; ++j) {
      const T r = vsum(acc[i][j]);
      out[i * MB + j] = std::isfinite(r) ? r : dot(a[i], b[j], n, false);
    }
}

// An R x C matrix with strides (rs, cs), one of them 1, as a column-major Eigen expression:
// a map, or the transpose of a map of the C x R matrix whose columns are its rows.
template <class T, class F>
void with_matrix(const T* p, int64_t rows, int64_t cols, int64_t rs, int64_t cs, F f) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using OStride = Eigen::OuterStride<>;
  if (rs == 1)
    f(Eigen::Map<const Mat, 0, OStride>(p, rows, cols, OStride(std::max<int64_t>(cs, rows))));
  else
    f(Eigen::Map<const Mat, 0, OStride>(p, cols, rows, OStride(std::max<int64_t>(rs, cols))).transpose());
}

// C (N x M) = 0, along its contiguous axis when it has one.
template <class T>
void zero_matrix(int64_t N, int64_t M, T* C, int64_t cr, int64_t cc) {
  if (cr == 1) {
    for (int64_t m = 0; m < M; ++m) std::fill(C + m * cc, C + m * cc + N, T(0));
    return;
  }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m) C[n * cr + m * cc] = T(0);
}

// The activation Act (a rule of unary_rules.hpp; void: none) of one packet, as the unary
// op computes it on a whole packet: elementwise, so a value does not depend on the packet
// it is computed in, and a fused product gives the same bits as matmul then the unary op.
template <class Act, class T>
inline Vec<T> activate(const Vec<T>& v) {
  if constexpr (std::is_void_v<Act>) {
    return v;
  } else {
    alignas(64) T lanes[kPacket<T>];
    vstore(lanes, v);
    Eigen::Map<Eigen::Array<T, kPacket<T>, 1>> x(lanes);
    x = Act::f(x);
    return vload(lanes);
  }
}

// Whether Eigen computes Act on whole packets of T (tanh, exp, max for float; for double
// tanh falls back to std::tanh one element at a time).
template <class Act, class T>
constexpr bool packet_activation() {
  if constexpr (std::is_void_v<Act>) {
    return true;
  } else {
    using Lanes = Eigen::Map<Eigen::Array<T, kPacket<T>, 1>>;
    using Expr = decltype(Act::f(std::declval<Lanes&>()));
    return (int(Eigen::internal::evaluator<Expr>::Flags) & Eigen::PacketAccessBit) != 0;
  }
}

// Act(C + bias) of the N x M matrix C (strides cr, cc) in place, bias[m] added to column m
// (null: none), for the products computed without axpy_block (Eigen's GEMM, dot products).
// Each value is rounded once after the add, as the add op rounds it, so the results are the
// bits of matmul, add and the unary op run one after the other.
template <class Act, class T>
void activate_matrix(int64_t N, int64_t M, T* C, int64_t cr, int64_t cc, const T* bias = nullptr) {
  if (std::is_void_v<Act> && !bias) return;
  constexpr int P = kPacket<T>;
  // n contiguous values v[i] (plus b[i * bs]): whole packets, then one padded packet.
  auto run = [&](T* v, int64_t n, const T* b, int64_t bs) {
    int64_t i = 0;
    for (; i + P <= n; i += P) {
      Vec<T> x = vload(v + i);
      if (b) x = Eigen::internal::padd(x, bs ? vload(b + i) : vbroadcast(*b));
      vstore(v + i, activate<Act, T>(x));
    }
    if (i < n) {
      if (b)
        for (int64_t j = i; j < n; ++j) v[j] += b[j * bs];
      if constexpr (!std::is_void_v<Act>) {
        Tail<T> rest(v, n);
        Eigen::Map<Eigen::Array<T, P, 1>> x(rest.v);
        x = Act::f(x);
        std::copy(rest.v, rest.v + (n - i), v + i);
      }
    }
  };
  if (cr == 1 || N == 1)
    for (int64_t m = 0; m < M; ++m) run(C + m * cc, N, bias ? bias + m : nullptr, 0);
  else
    for (int64_t n = 0; n < N; ++n) run(C + n * cr, M, bias, 1);  // then cc == 1
}

// MB columns of C over a block of rows held in registers: column j of c (stride cc), rows
// [0, NP packets), gets (=, or += unless `assign`) sum_k a[k * ac + i] * b[k * br + j * bc];
// with Tail also the packet at offset t (the one that ends at the last row, `rows` rows
// from c), which overlaps rows of the block: its lanes for rows the block covers hold the
// same sums, so with `assign` it is stored whole, otherwise only its new rows are added.
// Each k is one FMA into each of MB * (NP + Tail) independent accumulators: with one column
// at a time the loop waited on the FMA latency of its few chains (K is 5 in the tutorial).
// A function of its own with pointer steps: inlined into gemm_acc it ran out of registers
// and kept its loop counter in a vector register.
//
// With `bias` (and `assign`), column j gets Act(sum + bias[j]): the add rounded once, as
// the add op rounds the stored product and its bias.
template <class T, int NP, bool Tail, int MB, class Act = void>
[[gnu::noinline]] void axpy_block(const T* a, int64_t ac, const T* b, int64_t br, int64_t bc, int64_t K, T* c,
                                  int64_t cc, int64_t t, int64_t rows, bool assign, const T* bias) {
  constexpr int P = kPacket<T>;
  using V = Vec<T>;
  V acc[MB][NP], last[MB];
#pragma GCC unroll 8
  for (int j = 0; j < MB; ++j) {
#pragma GCC unroll 8
    for (int q = 0; q < NP; ++q) acc[j][q] = assign ? vzero<T>() : vload(c + j * cc + q * P);
    last[j] = vzero<T>();
  }
  for (int64_t k = 0; k < K; ++k, a += ac, b += br) {
    V x[NP];
#pragma GCC unroll 8
    for (int q = 0; q < NP; ++q) x[q] = vload(a + q * P);
    V xt = Tail ? vload(a + t) : vzero<T>();
#pragma GCC unroll 8
    for (int j = 0; j < MB; ++j) {
      const V bk = vbroadcast(b[j * bc]);
#pragma GCC unroll 8
      for (int q = 0; q < NP; ++q) acc[j][q] = vfma(x[q], bk, acc[j][q]);
      if constexpr (Tail) last[j] = vfma(xt, bk, last[j]);
    }
  }
  if (bias) {
#pragma GCC unroll 8
    for (int j = 0; j < MB; ++j) {
      const V bj = vbroadcast(bias[j]);
#pragma GCC unroll 8
      for (int q = 0; q < NP; ++q) acc[j][q] = Eigen::internal::padd(acc[j][q], bj);
      if constexpr (Tail) last[j] = Eigen::internal::padd(last[j], bj);
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < MB; ++j) {
    T* cj = c + j * cc;
#pragma GCC unroll 8
    for (int q = 0; q < NP; ++q) vstore(cj + q * P, activate<Act, T>(acc[j][q]));
    if constexpr (Tail) {
      if (assign) {
        if constexpr (packet_activation<Act, T>()) {
          vstore(cj + t, activate<Act, T>(last[j]));
        } else {
          // A scalar activation (double tanh) only for the rows the block did not cover; the
          // lanes over those rows take the block's values, already in c.
          alignas(64) T lanes[P];
          vstore(lanes, last[j]);
          const int64_t first_new = NP * P - t;
          Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> fresh(lanes + first_new, P - first_new);
          fresh = Act::f(fresh);
          for (int64_t i = 0; i < first_new; ++i) lanes[i] = cj[t + i];
          vstore(cj + t, vload(lanes));
        }
      } else {
        alignas(64) T lanes[P];
        vstore(lanes, last[j]);
        for (int64_t i = NP * P; i < rows; ++i) cj[i] += lanes[i - t];
      }
    }
  }
}

// C += A B with Eigen's GEMM; every operand has a unit stride on one axis.
template <class T>
void gemm_eigen(int64_t N, int64_t K, int64_t M, const T* A, int64_t ar, int64_t ac, const T* B, int64_t br,
                int64_t bc, T* C, int64_t cr, int64_t cc) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using OStride = Eigen::OuterStride<>;
  with_matrix(A, N, K, ar, ac, [&](const auto& a) {
    with_matrix(B, K, M, br, bc, [&](const auto& b) {
      if (cr == 1) {
        Eigen::Map<Mat, 0, OStride> c(C, N, M, OStride(std::max<int64_t>(cc, N)));
        c.noalias() += a * b;
      } else {  // C's rows contiguous: C^T += B^T A^T
        Eigen::Map<Mat, 0, OStride> ct(C, M, N, OStride(std::max<int64_t>(cr, M)));
        ct.noalias() += b.transpose() * a.transpose();
      }
    });
  });
}

// gemm_eigen in blocks, for products of at least 2^20 multiply-adds: of C's columns where C
// is column-major (as every internal-layout product is), of C's rows where it is row-major
// (cc 1: a weight matrix's gradient kept row-major, KernelArgs::in_row_major); two blocks
// from 64 columns (rows), four from 512 (boundaries at multiples of 16), a number fixed by
// the sizes. The blocks run on the threads a one-draw program run lends its kernels
// (kernel_threads.hpp), else one after another; each is Eigen's GEMM on its columns of B
// (rows of A), so the results are the same for any thread count.
template <class T>
void gemm_eigen_blocks(int64_t N, int64_t K, int64_t M, const T* A, int64_t ar, int64_t ac, const T* B, int64_t br,
                       int64_t bc, T* C, int64_t cr, int64_t cc) {
  const bool by_columns = cr == 1, by_rows = !by_columns && cc == 1;
  const int64_t extent = by_rows ? N : M;
  const int blocks = (!by_columns && !by_rows) || N * K * M < (int64_t{1} << 20) ? 1
                     : extent >= 512                                             ? 4
                     : extent >= 64                                              ? 2
                                                                                 : 1;
  if (blocks == 1) {
    gemm_eigen(N, K, M, A, ar, ac, B, br, bc, C, cr, cc);
    return;
  }
  struct Product {
    int64_t N, K, M;
    const T *A, *B;
    int64_t ar, ac, br, bc, cr, cc;
    T* C;
    int blocks;
    bool by_rows;
  } p{N, K, M, A, B, ar, ac, br, bc, cr, cc, C, blocks, by_rows};
  auto block = [](void* context, int b) {
    const Product& q = *static_cast<const Product*>(context);
    const int64_t extent = q.by_rows ? q.N : q.M;
    auto edge = [&](int i) { return i == q.blocks ? extent : extent * i / q.blocks / 16 * 16; };
    const int64_t from = edge(b), to = edge(b + 1);
    if (q.by_rows)
      gemm_eigen(to - from, q.K, q.M, q.A + from * q.ar, q.ar, q.ac, q.B, q.br, q.bc, q.C + from * q.cr, q.cr, q.cc);
    else
      gemm_eigen(q.N, q.K, to - from, q.A, q.ar, q.ac, q.B + from * q.bc, q.br, q.bc, q.C + from * q.cc, q.cr, q.cc);
  };
  detail::run_kernel_blocks(blocks, block, &p);
}

// C (N x M) = A B (with `assign`) or += A B, for A's columns and C's columns contiguous
// (A[n + k ac], C[n + m cc]), by axpy over the rows: a block of rows of C stays in registers
// over the K terms instead of being loaded and stored once per term. gemm_acc's path for
// narrow layers; a dense layer's forward product calls it directly (Matmul::forward).
//
// With `bias` (forward only, with `assign`): C = Act(A B + bias), bias[m] added to column m.
template <class T, class Act = void>
void axpy_rows(int64_t N, int64_t K, int64_t M, const T* A, int64_t ac, const T* B, int64_t br, int64_t bc, T* C,
               int64_t cc, bool assign, const T* bias = nullptr) {
  constexpr int P = kPacket<T>;
  // Row blocks of up to 4 packets, the last one with the rows after its whole packets
  // (a 50-row minibatch: 3 packets and the packet ending at row 50), each for 4 columns
  // at a time.
  auto columns = [&]<int NP, bool Tail>(int64_t n) {
    const int64_t t = N - P - n;
    auto group = [&]<int MB>(int64_t m) {
      axpy_block<T, NP, Tail, MB, Act>(A + n, ac, B + m * bc, br, bc, K, C + m * cc + n, cc, t, N - n, assign,
                                       bias ? bias + m : nullptr);
    };
    // Up to 6 columns in one pass while their accumulators fit in the vector registers
    // (leaving two for a load of x and the broadcast); otherwise groups of up to 4 that
    // fit. With AVX2's 16 registers a 4 x 4 block spilled an accumulator to the stack on
    // every term (digits at 1257 rows: 42 % of the step in this loop); 32 registers hold
    // 6 x 4. The sums are the same for any grouping: each element is one chain over k.
    constexpr int most = std::min(6, (kVectorRegisters - 2) / (NP + Tail));
    constexpr int width = std::min(4, most);
    int64_t m = 0;
    if (M > most)
      for (; m + width <= M; m += width) group.template operator()<width>(m);
    switch (M - m) {
      case 6: group.template operator()<6>(m); break;
      case 5: group.template operator()<5>(m); break;
      case 4: group.template operator()<4>(m); break;
      case 3: group.template operator()<3>(m); break;
      case 2: group.template operator()<2>(m); break;
      case 1: group.template operator()<1>(m); break;
      default: break;
    }
  };
  int64_t n = 0;
  for (; n + 4 * P <= N; n += 4 * P) columns.template operator()<4, false>(n);
  const bool rest = (N - n) % P != 0;
  switch ((N - n) / P) {
    case 3: rest ? columns.template operator()<3, true>(n) : columns.template operator()<3, false>(n); return;
    case 2: rest ? columns.template operator()<2, true>(n) : columns.template operator()<2, false>(n); return;
    case 1: rest ? columns.template operator()<1, true>(n) : columns.template operator()<1, false>(n); return;
    default: break;
  }
  if (n == N) return;
  if (N >= P) {
    // Fewer than one packet of rows after the 4-packet blocks: the packet that ends at
    // row N, which overlaps rows already done (N - n < P here).
    if (assign) {
      columns.template operator()<1, false>(N - P);
    } else {
      for (int64_t m = 0; m < M; ++m) {
        const T* b = B + m * bc;
        T* c = C + m * cc;
        Vec<T> acc = vzero<T>();
        for (int64_t k = 0; k < K; ++k) acc = vfma(vload(A + k * ac + N - P), vbroadcast(b[k * br]), acc);
        alignas(64) T lanes[P];
        vstore(lanes, acc);
        for (int64_t i = n; i < N; ++i) c[i] += lanes[i - (N - P)];
      }
    }
    return;
  }
  for (int64_t m = 0; m < M; ++m)
    for (n = 0; n < N; ++n) {
      T acc = assign ? T(0) : C[n + m * cc];
      for (int64_t k = 0; k < K; ++k) acc += A[k * ac + n] * B[k * br + m * bc];
      C[n + m * cc] = acc;
    }
  activate_matrix<Act>(N, M, C, 1, cc, bias);  // fewer rows than a packet (gemm_acc sends none with Act)
}

// C (N x M) += A (N x K) * B (K x M), every operand given by (row stride, column stride).
// With `assign`, C = A B instead (C's old values are ignored; the forward pass then skips
// a separate zero fill of the output).
//
// With an activation Act (forward only, so with `assign`), C = Act(A B): applied to each
// block while it is in registers on the axpy path, otherwise in one pass afterwards. A
// `bias` (forward only) is added to C's columns before Act the same way: C = Act(A B + bias).
template <class T, class Act = void>
[[gnu::noinline]] void gemm_acc(int64_t N, int64_t K, int64_t M, const T* A, int64_t ar, int64_t ac, const T* B,
              int64_t br, int64_t bc, T* C, int64_t cr, int64_t cc, bool assign = false,
              const T* bias = nullptr) {
  // A product with A's and C's columns contiguous and a short K and M (a hidden layer of up
  // to 32 units over many rows): the axpy loop keeps a block of C in registers over all K
  // terms and reads A from L1, so it needs no packing; Eigen's GEMM packed A for every call
  // (digits at 1257 rows: the packing was a third of the products' time).
  const bool short_layer = ar == 1 && cr == 1 && K <= 128 && M <= 32 && N >= kPacket<T>;
  if (!std::is_void_v<Act> || bias) {
    // In registers only on the packet paths of the axpy loop below (fewer rows than one
    // packet run as scalars there).
    if (!short_layer && (!(ar == 1 && cr == 1 && !(K > 16 && N > 16 && br == 1)) ||
                         (N >= 16 && K >= 16 && M >= 16) || N < kPacket<T>)) {
      gemm_acc<T>(N, K, M, A, ar, ac, B, br, bc, C, cr, cc, assign);
      activate_matrix<Act>(N, M, C, cr, cc, bias);
      return;
    }
  }
  if (short_layer) {
    axpy_rows<T, Act>(N, K, M, A, ac, B, br, bc, C, cc, assign, bias);
    return;
  }
  if (N >= 16 && K >= 16 && M >= 16 && (ar == 1 || ac == 1) && (br == 1 || bc == 1) && (cr == 1 || cc == 1)) {
    // Wide layers, forward and both gradients (dA = dC B^T, dB = A^T dC): Eigen's blocked
    // GEMM on column-major views, transposed where an operand's rows are contiguous; large
    // ones in blocks on the lent threads.
    if (assign) zero_matrix(N, M, C, cr, cc);
    gemm_eigen_blocks(N, K, M, A, ar, ac, B, br, bc, C, cr, cc);
    return;
  }
  if (ar == 1 && cr == 1 && !(K > 16 && N > 16 && br == 1)) {
    axpy_rows<T, Act>(N, K, M, A, ac, B, br, bc, C, cc, assign, bias);
    return;
  }
  if (assign) zero_matrix(N, M, C, cr, cc);
  if (ar == 1 && cr == 1 && K > 16 && N > 16 && br == 1) {  // long columns, a narrow output
    gemm_eigen(N, K, M, A, ar, ac, B, br, bc, C, cr, cc);
    return;
  }
  if (ac == 1 && br == 1) {  // rows of A and columns of B contiguous: dot products
    if (K >= kPacket<T> && K < 4 * kPacket<T>) {
      // Short dots (a minibatch's weight gradient): tiles of NB x MB products at once, up to
      // 25 (a 5 x 5 weight in one tile: its 25 chains and reductions are independent).
      const T* ap[8];
      const T* bp[8];
      T out[25];
      auto run = [&]<int NB, int MB>(int64_t n0, int64_t m0) {
        for (int i = 0; i < NB; ++i) ap[i] = A + (n0 + i) * ar;
        for (int j = 0; j < MB; ++j) bp[j] = B + (m0 + j) * bc;
        dot_block<T, NB, MB>(ap, bp, K, out);
        for (int i = 0; i < NB; ++i)
          for (int j = 0; j < MB; ++j) C[(n0 + i) * cr + (m0 + j) * cc] += out[i * MB + j];
      };
      // Rows n0 .. n0 + nb of C for the MB columns from m0, nb <= min(8, 25 / MB).
      auto rows = [&]<int MB>(int64_t n0, int64_t m0, int64_t nb) {
        auto tile = [&]<int NB>() {
          if constexpr (NB * MB <= 25) run.template operator()<NB, MB>(n0, m0);
        };
        switch (nb) {
          case 8: tile.template operator()<8>(); break;
          case 7: tile.template operator()<7>(); break;
          case 6: tile.template operator()<6>(); break;
          case 5: tile.template operator()<5>(); break;
          case 4: tile.template operator()<4>(); break;
          case 3: tile.template operator()<3>(); break;
          case 2: tile.template operator()<2>(); break;
          default: tile.template operator()<1>(); break;
        }
      };
      for (int64_t m = 0; m < M; m += 6) {
        const int64_t mb = std::min<int64_t>(6, M - m), most = std::min<int64_t>(8, 25 / mb);
        for (int64_t n = 0; n < N;) {
          // Near-equal tiles: 9 rows of 5 columns as 5 + 4 rows, not 5 + 4 ... (no lone row).
          const int64_t tiles = (N - n + most - 1) / most, nb = (N - n + tiles - 1) / tiles;
          switch (mb) {
            case 6: rows.template operator()<6>(n, m, nb); break;
            case 5: rows.template operator()<5>(n, m, nb); break;
            case 4: rows.template operator()<4>(n, m, nb); break;
            case 3: rows.template operator()<3>(n, m, nb); break;
            case 2: rows.template operator()<2>(n, m, nb); break;
            default: rows.template operator()<1>(n, m, nb); break;
          }
          n += nb;
        }
      }
      return;
    }
    for (int64_t n = 0; n < N; ++n)
      for (int64_t m = 0; m < M; ++m) {
        C[n * cr + m * cc] += dot(A + n * ar, B + m * bc, K);
      }
    return;
  }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m) {
      T s = 0;
      for (int64_t k = 0; k < K; ++k) s += A[n * ar + k * ac] * B[k * br + m * bc];
      C[n * cr + m * cc] += s;
    }
}

// Both gradients of a dense layer C = A B over a short batch (P <= N < 16P rows: 16 to 255
// in float, 8 to 127 in double; M <= 6 output columns), in one pass over A's columns: for
// each k, column k of
//   dA (N x K) = dC B^T   (=, or += unless assign_a; skipped when dA is null)
//   dB (K x M) = A^T dC   (=, or += unless assign_b; skipped when dB is null)
// from the same packets of dC. gemm_acc computes them in two calls (its axpy path for dA,
// dot_block or dot() for dB) with their own set-up and loads; at 50 rows that was most of
// a layer's backward. Each value takes the same terms in the same order as there, so the
// results are the same bits: dA's chain runs over m from 0 (or from the old dA), its last packet (the
// one ending at row N) is stored whole with `assign`, else only its new rows are added;
// dB's products run as dot_block's (below 4 packets: one chain over the packets in order)
// or dot()'s (four chains over blocks of 4 packets, combined, then the rest), the last
// packet masked, then one reduction, recomputed by dot() when not finite.
// Layout: A's column k at A + k N, dC's column m at dc + m N, B(k, m) at B[k + m bc]
// (bc = K, or 0 for a vector B), dB likewise.
template <class T, int MB>
[[gnu::noinline]] void dense_backward_short(int64_t N, int64_t K, const T* A, const T* B, int64_t bc, const T* dc,
                                            T* dA, bool assign_a, T* dB, bool assign_b) {
  constexpr int P = kPacket<T>;
  using V = Vec<T>;
  const int64_t full = N / P, t = N - P;
  const bool tail = full * P < N;
  const V mask = vload(tail_mask<T>() + (N - full * P));
  for (int64_t k = 0; k < K; ++k) {
    const T* a = A + k * N;
    T* da_col = dA ? dA + k * N : nullptr;
    V accb[MB], bk[MB];
#pragma GCC unroll 8
    for (int j = 0; j < MB; ++j) {
      accb[j] = vzero<T>();
      bk[j] = vbroadcast(B[k + j * bc]);
    }
    int64_t q = 0;
    if (N >= 4 * P) {
      // dot()'s order from 4 packets on: four chains per product over blocks of 4 packets,
      // combined pairwise, then the packets after the last block into the combined chain.
      V part[MB][4];
#pragma GCC unroll 8
      for (int j = 0; j < MB; ++j)
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u) part[j][u] = vzero<T>();
      for (; q + 4 <= full; q += 4) {
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u) {
          const int64_t at = (q + u) * P;
          const V ap = vload(a + at);
          V da = (da_col && !assign_a) ? vload(da_col + at) : vzero<T>();
#pragma GCC unroll 8
          for (int j = 0; j < MB; ++j) {
            const V d = vload(dc + j * N + at);
            part[j][u] = vfma(ap, d, part[j][u]);
            da = vfma(d, bk[j], da);
          }
          if (da_col) vstore(da_col + at, da);
        }
      }
      using Eigen::internal::padd;
#pragma GCC unroll 8
      for (int j = 0; j < MB; ++j) accb[j] = padd(padd(part[j][0], part[j][1]), padd(part[j][2], part[j][3]));
    }
    for (; q < full; ++q) {
      const V ap = vload(a + q * P);
      V da = (da_col && !assign_a) ? vload(da_col + q * P) : vzero<T>();
#pragma GCC unroll 8
      for (int j = 0; j < MB; ++j) {
        const V d = vload(dc + j * N + q * P);
        accb[j] = vfma(ap, d, accb[j]);
        da = vfma(d, bk[j], da);
      }
      if (da_col) vstore(da_col + q * P, da);
    }
    if (tail) {
      const V ap = vload(a + t);
      V da = vzero<T>();
#pragma GCC unroll 8
      for (int j = 0; j < MB; ++j) {
        const V d = vload(dc + j * N + t);
        accb[j] = vfma(Eigen::internal::pmul(ap, d), mask, accb[j]);
        da = vfma(d, bk[j], da);
      }
      if (da_col && assign_a) {
        vstore(da_col + t, da);
      } else if (da_col) {
        alignas(64) T lanes[P];
        vstore(lanes, da);
        for (int64_t i = full * P; i < N; ++i) da_col[i] += lanes[i - t];
      }
    }
    if (dB) {
#pragma GCC unroll 8
      for (int j = 0; j < MB; ++j) {
        const T r0 = N >= 4 * P ? vsum(accb[j]) + T(0) : vsum(accb[j]);  // as dot() / dot_block() end
        const T r = std::isfinite(r0) ? r0 : dot(a, dc + j * N, N, false);
        T& out = dB[k + j * bc];
        out = (assign_b ? T(0) : out) + r;
      }
    }
  }
}

// The matrix view of one operand or of the output: sizes, strides and batch strides.
struct Plan {
  int64_t N = 1, K = 1, M = 1;
  int64_t ar = 0, ac = 1, br = 1, bc = 0, cr = 0, cc = 0;
  int batch_rank = 0;
  // Set only with batch dimensions (batch_rank > 0), which is all that reads them.
  std::array<int64_t, 4> batch;      // broadcast batch shape (a fixed array: no allocation per run)
  std::array<int64_t, 4> a_bs, b_bs, c_bs;  // batch strides (0 where broadcast)
};

inline Shape batch_of(const Shape& s) { return s.size() > 2 ? Shape(s.begin(), s.end() - 2) : Shape{}; }

// row_major: bit 0 a, bit 1 b is a matrix stored row-major (KernelArgs::in_row_major), not
// in the internal layout.
[[gnu::always_inline]] inline Plan make_plan(const Shape& a, const Shape& b, const Shape& c, unsigned row_major) {
  const bool a_row_major = row_major & 1u, b_row_major = (row_major >> 1) & 1u;
  Plan p;
  bool avec = a.size() == 1, bvec = b.size() == 1;
  if (avec) {
    p.N = 1;
    p.K = a[0];
    p.ar = 0;
    p.ac = 1;
  } else {
    p.N = a[a.size() - 2];
    p.K = a.back();
    p.ar = 1;
    p.ac = p.N;
    if (a_row_major && a.size() == 2) {
      p.ar = p.K;
      p.ac = 1;
    }
  }
  if (bvec) {
    p.M = 1;
    p.br = 1;
    p.bc = 0;
  } else {
    p.M = b.back();
    p.br = 1;
    p.bc = b[b.size() - 2];
    if (b_row_major && b.size() == 2) {
      p.br = p.M;
      p.bc = 1;
    }
  }
  if (a.size() <= 2 && b.size() <= 2) {  // no batch dimensions: the network's every matmul
    p.cr = avec ? 0 : 1;
    p.cc = bvec ? 0 : (avec ? 1 : p.N);
    return p;
  }
  // Batch dimensions of a and b, right-aligned, without building Shapes (run time).
  int ar = avec ? 0 : static_cast<int>(a.size()) - 2, br = bvec ? 0 : static_cast<int>(b.size()) - 2;
  ar = std::max(ar, 0);
  br = std::max(br, 0);
  std::span<const int64_t> ab(a.data(), static_cast<size_t>(ar)), bb(b.data(), static_cast<size_t>(br));
  p.batch_rank = static_cast<int>(std::max(ab.size(), bb.size()));
  auto ast = layout::strides(a), bst = layout::strides(b), cst = layout::strides(c);
  for (int i = 0; i < p.batch_rank; ++i) {
    int ia = i - (p.batch_rank - static_cast<int>(ab.size()));
    int ib = i - (p.batch_rank - static_cast<int>(bb.size()));
    int64_t da = ia >= 0 ? ab[ia] : 1, db = ib >= 0 ? bb[ib] : 1;
    p.batch[i] = std::max(da, db);
    p.a_bs[i] = (ia >= 0 && da != 1) ? ast[ia] : 0;
    p.b_bs[i] = (ib >= 0 && db != 1) ? bst[ib] : 0;
    p.c_bs[i] = cst[i];
  }
  int n_axis = p.batch_rank, m_axis = p.batch_rank + (avec ? 0 : 1);
  p.cr = avec ? 0 : cst[n_axis];
  p.cc = bvec ? 0 : cst[m_axis];
  return p;
}

// f.template operator()<MB>() for MB = M, 1 <= M <= 6 (the short-batch kernels' column counts).
template <class F>
void with_columns(int64_t M, F f) {
  switch (M) {
    case 1: f.template operator()<1>(); return;
    case 2: f.template operator()<2>(); return;
    case 3: f.template operator()<3>(); return;
    case 4: f.template operator()<4>(); return;
    case 5: f.template operator()<5>(); return;
    default: f.template operator()<6>(); return;
  }
}

struct Matmul {
  static constexpr std::string_view name = "matmul";
  static constexpr int arity = 2;
  static constexpr bool backward_assigns = true;

  static Shape infer(std::span<const Shape> in, const Attrs&) {
    const Shape& a = in[0];
    const Shape& b = in[1];
    if (a.empty() || b.empty()) throw_shape_error(name, in, "include a scalar; matmul needs rank >= 1");
    int64_t ka = a.back();
    int64_t kb = b.size() == 1 ? b[0] : b[b.size() - 2];
    if (ka != kb)
      throw_shape_error(name, in, "do not align (" + std::to_string(ka) + " != " + std::to_string(kb) + ")");
    Shape ab = a.size() == 1 ? Shape{} : batch_of(a), bb = b.size() == 1 ? Shape{} : batch_of(b);
    Shape batch;
    if (!ab.empty() || !bb.empty()) {
      Shape sh[2] = {ab, bb};
      try {
        batch = broadcast_shapes(name, sh);
      } catch (const ShapeError&) {
        throw_shape_error(name, in, "have batch shapes " + shape_str(ab) + " and " + shape_str(bb) +
                                        " that do not broadcast");
      }
    }
    Shape out = batch;
    if (a.size() > 1) out.push_back(a[a.size() - 2]);
    if (b.size() > 1) out.push_back(b.back());
    return out;
  }

  template <class F>
  static void for_batches(const Plan& p, F f) {
    if (p.batch_rank == 0) {  // no batch dimensions (every dense layer): one product
      f(0, 0, 0);
      return;
    }
    for_each_index(p.batch, p.batch_rank, [&](const Index4& i) {
      f(offset_of(i, p.a_bs, p.batch_rank), offset_of(i, p.b_bs, p.batch_rank),
        offset_of(i, p.c_bs, p.batch_rank));
    });
  }

  // C = Act(A B) (Act void: the product alone).
  template <class T, class Act = void>
  static void forward(const KernelArgs<T>& k) {
    forward_with_bias<T, Act>(k, nullptr);
  }

  // The same with `bias` (null: none; a product without batch dimensions only):
  // C = Act(A B + bias), bias[m] added to column m.
  template <class T, class Act = void>
  static void forward_with_bias(const KernelArgs<T>& k, const T* bias) {
    Plan p = make_plan(*k.in_shape[0], *k.in_shape[1], *k.out_shape, k.in_row_major & 3u);
    if (p.batch_rank == 0 && p.ar == 1 && p.cr == 1 && p.N >= kPacket<T> && p.M <= 6 && p.K <= 16) {
      // A dense layer (no batch dimensions, up to 6 columns, at least one packet of rows):
      // the path gemm_acc would take for it, without gemm_acc's dispatch.
      axpy_rows<T, Act>(p.N, p.K, p.M, k.in[0], p.ac, k.in[1], p.br, p.bc, k.out, p.cc, true, bias);
      return;
    }
    for_batches(p, [&](int64_t ao, int64_t bo, int64_t co) {  // every batch writes its own block
      gemm_acc<T, Act>(p.N, p.K, p.M, k.in[0] + ao, p.ar, p.ac, k.in[1] + bo, p.br, p.bc, k.out + co,
                       p.cr, p.cc, /*assign=*/true, bias);
    });
  }

  // The gradients of A and B from k.gout (the gradient of the product).
  template <class T>
  static void backward(const KernelArgs<T>& k) {
    backward_from(k, k.gout);
  }

  // The same from `gout` in place of k.gout (matmul fused with an activation passes the
  // product's gradient, which it computes itself).
  template <class T>
  static void backward_from(const KernelArgs<T>& k, const T* gout) {
    Plan p = make_plan(*k.in_shape[0], *k.in_shape[1], *k.out_shape, k.in_row_major & 3u);
    // A fresh gradient is written by the one gemm that covers it; with batch dimensions
    // several batches may add into one block (broadcasting), so it is zeroed first.
    bool assign_a = (k.gin_fresh & 1u) && p.batch_rank == 0, assign_b = (k.gin_fresh & 2u) && p.batch_rank == 0;
    if (p.batch_rank > 0)
      for (int a = 0; a < 2; ++a)
        if (k.gin[a] && (k.gin_fresh >> a) & 1u) std::fill(k.gin[a], k.gin[a] + numel(*k.in_shape[a]), T(0));
    constexpr int P = kPacket<T>;
    // matmul(h, h) gives both inputs one gradient buffer: the one-pass kernel would then
    // interleave dA's columns with dB's entries in the same memory, so it takes the general
    // path, which finishes dA before it adds dB (on AVX2, f64 4x4 took the short path and
    // got wrong gradients: op_gradient's matmul_after_non_assigning_consumer).
    const bool aliased = k.gin[0] && k.gin[0] == k.gin[1];
    if (p.batch_rank == 0 && p.ar == 1 && p.cr == 1 && p.br == 1 && p.N >= P && p.N < 16 * P && p.M <= 6 &&
        !aliased) {
      // A dense layer on a short batch: both gradients in one pass (dense_backward_short).
      with_columns(p.M, [&]<int MB>() {
        dense_backward_short<T, MB>(p.N, p.K, k.in[0], k.in[1], p.bc, gout, k.gin[0], assign_a, k.gin[1], assign_b);
      });
      return;
    }
    for_batches(p, [&](int64_t ao, int64_t bo, int64_t co) {
      if (k.gin[0])  // dA (N x K) += dC (N x M) * B^T (M x K)
        gemm_acc<T>(p.N, p.M, p.K, gout + co, p.cr, p.cc, k.in[1] + bo, p.bc, p.br,
                    k.gin[0] + ao, p.ar, p.ac, assign_a);
      if (k.gin[1])  // dB (K x M) += A^T (K x N) * dC (N x M)
        gemm_acc<T>(p.K, p.N, p.M, k.in[0] + ao, p.ac, p.ar, gout + co, p.cr, p.cc,
                    k.gin[1] + bo, p.br, p.bc, assign_b);
    });
  }
};

}  // namespace elbo::matmul_kernels

#pragma GCC diagnostic pop
