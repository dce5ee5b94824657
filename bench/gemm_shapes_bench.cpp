// The float32 products of issue #17's 784-feature networks at 128 rows, one thread: elbo's
// engine (one matmul through a compiled Program, the kernels of the CPU's ISA level) and
// Eigen's GEMM called directly (this program's -march=native build). With
// bench/peers/blas_gemm_peer.py (NumPy's OpenBLAS and BLIS on the same shapes) they answer
// the "consider a tuned BLAS" lead (docs/PERFORMANCE.md, "A tuned BLAS?").
//
//   gemm/<engine|eigen>/<M>x<K>x<N>    C[M,N] = A[M,K] B[K,N]
//   gemm/<engine|eigen>/<M>x<K>x<N>T   C[M,N] = A^T B with A stored [K,M]: a weight
//                                      gradient X^T dY (K = the 128 rows)
// Counter GFLOPs = 2MKN / time.
//
//   triad/64MB   a[i] = b[i] + 0.5f c[i] over three float arrays of 64 MB: one core's memory
//                bandwidth (counter GBs: 12 bytes an element / time), the roofline's
//                bandwidth for the per-parameter work (docs/PERFORMANCE.md)
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <benchmark/benchmark.h>

#include "elbo/graph.hpp"

namespace elbo::bench {
namespace {

struct Shape3 {
  int64_t m, k, n;
  bool transposed;  // A^T B, A stored [k, m]
};
// 784-400-400-10: the first layer's product, its weight gradient (K = the 128 rows), the
// second layer's product and weight gradient; 784-100-100-10: its first layer's product
// and weight gradient.
constexpr Shape3 kShapes[] = {{128, 784, 400, false}, {784, 128, 400, true}, {128, 400, 400, false},
                              {400, 128, 400, true},  {128, 784, 100, false}, {784, 128, 100, true}};

void report(benchmark::State& st, Shape3 s) {
  st.counters["GFLOPs"] = benchmark::Counter(2e-9 * static_cast<double>(s.m * s.k * s.n),
                                             benchmark::Counter::kIsIterationInvariantRate);
}

void engine(benchmark::State& st, Shape3 s) {
  Graph g(DType::f32);
  Expr a = s.transposed ? g.data("a", Philox(1).normal(DType::f32, {s.k, s.m}, 0, 0))
                         : g.data("a", Philox(1).normal(DType::f32, {s.m, s.k}, 0, 0));
  Expr b = g.parameter("b", {s.k, s.n});
  Program p(g, {matmul(s.transposed ? transpose(a) : a, b)}, {b});  // one thread
  p.set_param(b, Philox(2).normal(DType::f32, {s.k, s.n}, 0, 0));
  for (auto _ : st) p.forward();
  report(st, s);
}

void eigen(benchmark::State& st, Shape3 s) {
  using M = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
  Eigen::setNbThreads(1);
  const M a = s.transposed ? M::Random(s.k, s.m) : M::Random(s.m, s.k), b = M::Random(s.k, s.n);
  M c(s.m, s.n);
  for (auto _ : st) {
    if (s.transposed)
      c.noalias() = a.transpose() * b;
    else
      c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  report(st, s);
}

void triad(benchmark::State& st) {
  const size_t n = size_t{1} << 24;
  std::vector<float> a(n, 1.0f), b(n, 2.0f), c(n, 3.0f);
  for (auto _ : st) {
    for (size_t i = 0; i < n; ++i) a[i] = b[i] + 0.5f * c[i];
    benchmark::DoNotOptimize(a.data());
    benchmark::ClobberMemory();
  }
  st.counters["GBs"] = benchmark::Counter(12e-9 * static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace
}  // namespace elbo::bench

int main(int argc, char** argv) {
  for (const auto& s : elbo::bench::kShapes) {
    const std::string dims =
        std::to_string(s.m) + "x" + std::to_string(s.k) + "x" + std::to_string(s.n) + (s.transposed ? "T" : "");
    benchmark::RegisterBenchmark(("gemm/engine/" + dims).c_str(), [s](benchmark::State& st) { elbo::bench::engine(st, s); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("gemm/eigen/" + dims).c_str(), [s](benchmark::State& st) { elbo::bench::eigen(st, s); })
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RegisterBenchmark("triad/64MB", elbo::bench::triad)->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
