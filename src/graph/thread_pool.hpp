#pragma once
// A fixed pool of worker threads that runs n tasks and waits for them. No allocation per
// run; the first exception a task throws is rethrown in the caller.
#include <condition_variable>
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

 private:
  void work();
  void run_tasks();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_, done_;
  Task fn_ = nullptr;
  void* ctx_ = nullptr;
  int tasks_ = 0, next_ = 0, finished_ = 0;
  unsigned generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace elbo
