#pragma once
// A fixed pool of worker threads that runs n tasks and waits for them. No allocation per
// run; the first exception a task throws is rethrown in the caller.
//
// A fit calls run() once per step, every 10 to 100 microseconds. Waking a thread blocked
// on a condition variable took 30 to 50 us on this project's VMs (docs/PERFORMANCE.md,
// "Threads"), more than a step's work, so workers spin for a while (about 0.1 ms) after
// each run before they block, and the caller spins while it waits for them.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace elbo {

class ThreadPool {
 public:
  using Task = void (*)(void* context, int task);

  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  /// Runs fn(context, t) for t in [0, tasks), spread over the pool and the caller.
  void run(int tasks, Task fn, void* context);
  /// Whether this thread is running a task of some pool (a nested run() would wait on
  /// itself: callers that may be inside one run their work in place instead).
  static bool in_task();

 private:
  void work();
  void run_tasks(uint64_t generation);

  std::vector<std::thread> workers_;
  // generation (bits 40..63) | task count (bits 20..39) | next task (bits 0..19): one word,
  // so a worker claims a task of the generation it saw, or none.
  std::atomic<uint64_t> state_{0};
  std::atomic<int> finished_{0};
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stop_{false};
  uint64_t generation_ = 0;
  Task fn_ = nullptr;  // written by run() while no task of the previous run is unfinished
  void* ctx_ = nullptr;
  std::mutex mu_;  // for sleeping workers and for error_
  std::condition_variable start_;
  std::exception_ptr error_;
};

}  // namespace elbo
