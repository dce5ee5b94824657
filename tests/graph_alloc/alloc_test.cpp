// After the first call at a given size, a compiled program runs without touching the heap
// (docs/ARCHITECTURE.md, "Engine"). This binary replaces the global operator new/delete, and on glibc
// also malloc and friends (Eigen allocates through malloc), with counting versions; it is
// its own test binary (tests/graph_alloc/) so the replacement affects no other test.
// AddressSanitizer supplies its own allocator, so under ASan the counting is compiled out
// and the tests skip.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "elbo/graph.hpp"
#include "graph/tutorial_network.hpp"

#include "support/counting_allocator.hpp"

namespace elbo {
namespace {

using Counts = testing::AllocationCounts;
using testing::count_allocations;

#define SKIP_UNLESS_COUNTING()                                                                   \
  do {                                                                                           \
    if (!ELBO_COUNT_ALLOCATIONS)                                                                 \
      GTEST_SKIP() << "AddressSanitizer replaces the allocator; allocations are not counted"; \
  } while (0)

void* volatile sink;

TEST(alloc, the_counters_see_new_and_malloc) {
  SKIP_UNLESS_COUNTING();
  Counts c = count_allocations([] {
    sink = new std::vector<int>(100);
    delete static_cast<std::vector<int>*>(sink);
    sink = std::malloc(64);
    std::free(sink);
  });
  EXPECT_GE(c.news, 1);
#if defined(__GLIBC__)
  EXPECT_GE(c.mallocs, 2);
#endif
}

template <class T>
void check_tutorial_network(int threads) {
  const DType dtype = dtype_of<T>();
  SCOPED_TRACE(std::string(dtype_name(dtype)) + ", threads " + std::to_string(threads));
  const int64_t S = 3, rows = 500, batch = 50;
  auto net = testing::tutorial_network(dtype, rows);
  Tensor X = testing::moons_x(dtype, rows), Y = testing::moons_y(dtype, rows);
  Program prog(net.g, {net.loglik, net.p}, {}, {.threads = threads});
  prog.set_samples(S);
  const int64_t D = prog.flat_size();
  auto theta64 = testing::normal_params(S, D);
  std::vector<T> theta(theta64.begin(), theta64.end()), grad(static_cast<size_t>(S * D));
  std::vector<double> seeds = {1.0, 0.0};
  std::vector<int64_t> index(static_cast<size_t>(batch));

  // Full batch: the first call sizes the buffers; the next ones allocate nothing.
  prog.set_flat_params(theta.data());
  prog.forward_backward(seeds);
  Counts full = count_allocations([&] {
    for (int step = 0; step < 20; ++step) {
      theta[static_cast<size_t>(step)] += T(0.01);
      prog.set_flat_params(theta.data());
      prog.forward_backward(seeds);
      prog.flat_gradient(grad.data());
      prog.forward();
      (void)prog.output_values<T>(0);
    }
  });
  EXPECT_EQ(full.news, 0) << "operator new calls in 20 full-batch steps";
  EXPECT_EQ(full.mallocs, 0) << "malloc calls in 20 full-batch steps";

  // Minibatches of 50 rows gathered from the full data: only the first batch may allocate.
  auto pick = [&](int step) {
    for (int64_t k = 0; k < batch; ++k) index[static_cast<size_t>(k)] = (k * 7 + step * 53) % rows;
  };
  pick(0);
  prog.set_data_rows(net.x, X, index);
  prog.set_data_rows(net.y, Y, index);
  prog.forward_backward(seeds);
  Counts mini = count_allocations([&] {
    for (int step = 1; step < 21; ++step) {
      pick(step);
      prog.set_data_rows(net.x, X, index);
      prog.set_data_rows(net.y, Y, index);
      prog.set_flat_params(theta.data());
      prog.forward_backward(seeds);
      prog.flat_gradient(grad.data());
    }
  });
  EXPECT_EQ(mini.news, 0) << "operator new calls in 20 minibatch steps";
  EXPECT_EQ(mini.mallocs, 0) << "malloc calls in 20 minibatch steps";
  EXPECT_EQ(prog.output_shape(1), (Shape{batch}));
}

TEST(alloc, tutorial_network_steps_make_no_heap_allocations) {
  SKIP_UNLESS_COUNTING();
  for (int threads : {1, 2}) {
    check_tutorial_network<double>(threads);
    check_tutorial_network<float>(threads);
  }
}

TEST(alloc, every_op_runs_without_heap_allocations) {
  SKIP_UNLESS_COUNTING();
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    Graph g(DType::f64);
    Tensor xv(DType::f64, {6, 4});
    for (int64_t i = 0; i < xv.numel(); ++i) xv.set(i, 0.1 * static_cast<double>(i % 7) - 0.3);
    Expr x = g.data("x", xv);
    Expr a = g.parameter("a", {4, 3});
    Expr b = g.parameter("b", {2, 3, 4});
    Expr c = g.parameter("c", {3});
    Expr big = g.parameter("big", {20, 24});
    Expr idx = g.constant(Tensor(DType::f64, {3}, {2, 0, 2}));
    Expr h = matmul(x, a) + c;                             // [6,3]
    Expr bt = matmul(b, transpose(b, {0, 2, 1}));         // batched [2,3,3]
    Expr bb = matmul(h, transpose(a));                     // [6,4]
    Expr r = reshape(transpose(b, {1, 0, 2}), {3, 8});     // [3,8]
    Expr parts = concat({slice(r, 1, 0, 4), slice(r, 1, 4, 8)}, 0);  // [6,4]
    Expr mixed = where(x, bb, parts) * clip(x, -0.2, 0.2);
    Expr terms = sum(tanh(h), 1) + mean(sigmoid(bb), -1, false) + logsumexp(mixed, 1);
    Expr more = sum(sum(bt, 0, true)) + sum(pow(exp(c), 1.5)) + sum(log1p(square(c))) +
                sum(softplus(h) + log_sigmoid(h) + relu(h) + abs(h) + sqrt(exp(h)) + expm1(h * 0.1)) +
                sum(gather_rows(a, idx)) + sum(matmul(big, transpose(big)));  // Eigen's GEMM path
    Expr loss = sum(terms) + more - sum(h / (2.0 + square(h)));
    Program prog(g, {loss, h, bt}, {}, {.threads = threads});
    prog.set_samples(3);
    std::vector<double> theta(static_cast<size_t>(3 * prog.flat_size())), grad(theta.size());
    Philox(3).normal(theta.data(), static_cast<int64_t>(theta.size()), 0, 0);
    prog.set_flat_params(theta.data());
    std::vector<double> seeds = {1.0, 0.5, 0.0};
    prog.forward_backward(seeds);
    Counts n = count_allocations([&] {
      for (int step = 0; step < 5; ++step) {
        prog.set_flat_params(theta.data());
        prog.forward_backward(seeds);
        prog.flat_gradient(grad.data());
      }
    });
    EXPECT_EQ(n.news, 0);
    EXPECT_EQ(n.mallocs, 0);
  }
}

}  // namespace
}  // namespace elbo
