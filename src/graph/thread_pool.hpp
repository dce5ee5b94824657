#pragma once
// A fixed pool of worker threads that runs n tasks and waits for them. No allocation per
// run; the first exception a task throws is rethrown in the caller.
//
// A fit calls run() once per step, every 10 to 100 microseconds. Waking a thread blocked
// on a condition variable took 30 to 50 us on this project's VMs (docs/PERFORMANCE.md,
// "Threads"), more than a step's work, so workers spin for a while (4,096 pauses, 44 us
// to 0.1 ms) after each run before they block, and the caller spins while it waits for
// them.
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

  /// Background work: fn(context, c) for chunks c in [0, chunks), each claimed once by a
  /// worker while it has no task of a run (between runs, while the caller works alone) or
  /// by the caller of run() while it waits for the workers, in no set order and perhaps
  /// not all of them. For work that a later step can use if it is done and do itself if
  /// not: the next step's random numbers while this step runs its serial ops. fn must not throw (the process ends) or use this pool; a
  /// chunk should be short (about a microsecond), since a run's tasks wait for a worker's
  /// chunk to end. Any earlier background work is closed first. A worker takes chunks only
  /// while it spins between runs, not once it has blocked. Call post_background and
  /// close_background from the thread that calls run(), not from two threads at once.
  void post_background(int chunks, Task fn, void* context);
  /// Hands out no more chunks of the background work and waits for those begun to end;
  /// afterwards no chunk runs until the next post_background.
  void close_background();

 private:
  void work();
  void run_tasks(uint64_t generation);
  // Claims and runs one chunk of the background work; false when there is none.
  bool run_background_chunk();

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
  // The background work: open_ while chunks are handed out, in_flight_ counting the
  // threads between their check of open_ and the end of their chunk (close_background
  // waits for none).
  std::atomic<bool> background_open_{false};
  std::atomic<int> background_in_flight_{0};
  std::atomic<int64_t> background_next_{0};  // 64 bits: claims past the end never wrap
  int background_chunks_ = 0;
  Task background_fn_ = nullptr;
  void* background_ctx_ = nullptr;
};

}  // namespace elbo
