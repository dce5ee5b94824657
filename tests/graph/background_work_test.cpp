// Background work on a thread pool (ThreadPool::post_background, Program::post_background):
// the chunks that workers run while they spin between runs, and that a run's caller runs
// while it waits. Each chunk runs at most once, none starts after close_background, a later
// post or the pool's end, and while runs keep coming all of them end up done. Timing
// decides how many run before a close; the checks hold for any count.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "elbo/graph.hpp"
#include "graph/thread_pool.hpp"

namespace elbo {
namespace {

struct Counts {
  std::vector<std::atomic<int>> ran;
  std::atomic<int> sum{0};
  int busy_ns = 0;  // each chunk spins this long first
  explicit Counts(int n, int busy = 0) : ran(static_cast<size_t>(n)), busy_ns(busy) {}
  static void chunk(void* self, int c) {
    auto& counts = *static_cast<Counts*>(self);
    if (counts.busy_ns > 0) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(counts.busy_ns);
      while (std::chrono::steady_clock::now() < until) {
      }
    }
    counts.ran[static_cast<size_t>(c)].fetch_add(1);
    counts.sum.fetch_add(1);
  }
  int total() const { return sum.load(); }
  int most() const {
    int m = 0;
    for (const auto& r : ran) m = std::max(m, r.load());
    return m;
  }
};

// A run of `threads` tasks that do a little work each, so the caller waits on the workers.
void short_run(ThreadPool& pool) {
  pool.run(pool.size(), [](void*, int) {
    volatile int x = 0;
    for (int i = 0; i < 200; ++i) x = x + i;
  }, nullptr);
}

TEST(background_work, every_chunk_runs_once_between_runs_and_none_after_close) {
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    Counts counts(5000);
    pool.post_background(5000, &Counts::chunk, &counts);
    // The workers (and the caller, while it waits for them) take chunks between the runs'
    // tasks; a worker blocked on its condition variable wakes with a run.
    for (int i = 0; i < 200000 && counts.total() < 5000; ++i) short_run(pool);
    pool.close_background();
    EXPECT_EQ(counts.total(), 5000) << threads << " threads";
    EXPECT_EQ(counts.most(), 1) << threads << " threads";
    // Closed: runs and idle time run nothing more.
    Counts later(100);
    pool.post_background(100, &Counts::chunk, &later);
    pool.close_background();
    const int done = later.total();
    for (int i = 0; i < 200; ++i) short_run(pool);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(later.total(), done);
    EXPECT_LE(later.most(), 1);
  }
}

TEST(background_work, a_later_post_closes_the_earlier_work) {
  ThreadPool pool(2);
  // The first work's chunks take 2 us each, so its 10^6 chunks (2 s) cannot all be done
  // before the second post, which follows the first chunk.
  Counts first(1000000, 2000), second(200);
  pool.post_background(1000000, &Counts::chunk, &first);
  for (int i = 0; i < 200000 && first.total() == 0; ++i) short_run(pool);
  pool.post_background(200, &Counts::chunk, &second);
  const int first_done = first.total();
  for (int i = 0; i < 200000 && second.total() < 200; ++i) short_run(pool);
  pool.close_background();
  EXPECT_EQ(first.total(), first_done);  // nothing of the first started after the second's post
  EXPECT_LT(first_done, 1000000);
  EXPECT_EQ(first.most(), 1);
  EXPECT_EQ(second.total(), 200);
  EXPECT_EQ(second.most(), 1);
}

TEST(background_work, no_chunk_runs_after_the_pool_ends) {
  Counts counts(1000000, 2000);
  {
    ThreadPool pool(2);
    pool.post_background(1000000, &Counts::chunk, &counts);
    for (int i = 0; i < 200000 && counts.total() == 0; ++i) short_run(pool);
  }  // joined with work open: no chunk runs after this
  const int done = counts.total();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(counts.total(), done);
  EXPECT_EQ(counts.most(), 1);
}

TEST(background_work, a_program_hands_it_to_its_threads_and_runs_none_on_one_thread) {
  Graph g(DType::f64);
  Expr w = g.parameter("w", {4});
  Expr out = sum(w * w);
  Program one(g, {out}, {}, {.threads = 1});
  Counts none(10);
  one.post_background(10, &Counts::chunk, &none);
  for (int i = 0; i < 100; ++i) one.parallel_for(2, [](int64_t, int64_t) {});
  one.close_background();
  EXPECT_EQ(none.total(), 0);

  Program two(g, {out}, {}, {.threads = 2});
  Counts counts(300);
  two.post_background(300, &Counts::chunk, &counts);
  for (int i = 0; i < 200000 && counts.total() < 300; ++i)
    two.parallel_for(2, [](int64_t, int64_t) {});
  two.close_background();
  EXPECT_EQ(counts.total(), 300);
  EXPECT_EQ(counts.most(), 1);
  // set_threads replaces the pool and closes the work on the old one.
  Counts open(1000000, 2000);
  two.post_background(1000000, &Counts::chunk, &open);
  for (int i = 0; i < 200000 && open.total() == 0; ++i) two.parallel_for(2, [](int64_t, int64_t) {});
  two.set_threads(3);
  const int done = open.total();
  for (int i = 0; i < 20; ++i) two.parallel_for(3, [](int64_t, int64_t) {});
  EXPECT_EQ(open.total(), done);
  EXPECT_EQ(open.most(), 1);
}

}  // namespace
}  // namespace elbo
