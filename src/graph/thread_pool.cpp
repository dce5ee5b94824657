#include "thread_pool.hpp"

#include <algorithm>
#include <exception>
#include <thread>

namespace elbo {

namespace {

constexpr int kGenerationShift = 40, kTasksShift = 20;
constexpr uint64_t kField = (uint64_t{1} << 20) - 1;
// Pause instructions before blocking: 44 us on the Xeon of 2026-12-08 (10.7 ns a pause;
// four times as many changed nothing there, docs/PERFORMANCE.md), longer where a pause is
// slower.
constexpr int kSpins = 1 << 12;

uint64_t generation_of(uint64_t s) { return s >> kGenerationShift; }

thread_local int tasks_running = 0;  // ThreadPool::in_task()

// fn(context, t) with tasks_running counting it.
void run_one(ThreadPool::Task fn, void* context, int t) {
  ++tasks_running;
  try {
    fn(context, t);
  } catch (...) {
    --tasks_running;
    throw;
  }
  --tasks_running;
}

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  close_background();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  start_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::run_tasks(uint64_t generation) {
  for (;;) {
    uint64_t s = state_.load(std::memory_order_acquire);
    for (;;) {
      if (generation_of(s) != generation || (s & kField) >= ((s >> kTasksShift) & kField)) return;
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) break;
    }
    // The claimed task is unfinished until the increment below, so run() cannot change
    // fn_ and ctx_ before this call has read them.
    try {
      run_one(fn_, ctx_, static_cast<int>(s & kField));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
    finished_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::work() {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    uint64_t s;
    while (generation_of(s = state_.load(std::memory_order_acquire)) == seen && !stop_.load()) {
      if (background_open_.load(std::memory_order_relaxed) && run_background_chunk()) {
        spins = 0;
        continue;
      }
      if (++spins < kSpins) {
        pause();
        continue;
      }
      std::unique_lock<std::mutex> lock(mu_);
      sleeping_.fetch_add(1);
      start_.wait(lock, [&] { return stop_.load() || generation_of(state_.load()) != seen; });
      sleeping_.fetch_sub(1);
      spins = 0;
    }
    if (stop_.load()) return;
    seen = generation_of(s);
    run_tasks(seen);
  }
}

void ThreadPool::run(int tasks, Task fn, void* context) {
  if (tasks <= 0) return;
  if (workers_.empty() || tasks == 1) {
    for (int t = 0; t < tasks; ++t) run_one(fn, context, t);
    return;
  }
  tasks = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(tasks), kField));
  fn_ = fn;
  ctx_ = context;
  error_ = nullptr;
  finished_.store(0, std::memory_order_relaxed);
  generation_ = (generation_ + 1) & ((uint64_t{1} << (64 - kGenerationShift)) - 1);
  if (generation_ == 0) generation_ = 1;  // workers start having seen generation 0
  // Sequentially consistent, like the worker's sleeping_ increment and its state_ load
  // before it waits: either this load sees the worker going to sleep, or the worker sees
  // the new generation (with release/acquire both could miss each other).
  state_.store(generation_ << kGenerationShift | static_cast<uint64_t>(tasks) << kTasksShift);
  if (sleeping_.load() > 0) {
    { std::lock_guard<std::mutex> lock(mu_); }  // a worker between its check and its wait
    start_.notify_all();
  }
  run_tasks(generation_);
  for (int spins = 0; finished_.load(std::memory_order_acquire) < tasks;)
    if (background_open_.load(std::memory_order_relaxed) && run_background_chunk())
      spins = 0;
    else if (++spins < kSpins)
      pause();
    else
      std::this_thread::yield();
  std::exception_ptr err;
  {
    std::lock_guard<std::mutex> lock(mu_);
    err = error_;
    error_ = nullptr;
  }
  if (err) std::rethrow_exception(err);
}

bool ThreadPool::in_task() { return tasks_running > 0; }

void ThreadPool::post_background(int chunks, Task fn, void* context) {
  close_background();
  if (workers_.empty() || chunks <= 0) return;
  background_fn_ = fn;
  background_ctx_ = context;
  background_chunks_ = chunks;
  background_next_.store(0, std::memory_order_relaxed);
  background_open_.store(true);  // releases the fields above to the workers that see it
}

bool ThreadPool::run_background_chunk() {
  // Sequentially consistent with close_background's store and load: either it sees this
  // thread in flight, or this thread sees the work closed.
  background_in_flight_.fetch_add(1);
  bool ran = false;
  if (background_open_.load()) {
    const int64_t c = background_next_.fetch_add(1, std::memory_order_relaxed);
    if (c < background_chunks_) {
      try {
        background_fn_(background_ctx_, static_cast<int>(c));
      } catch (...) {
        std::terminate();  // documented as not throwing; a caller's run() must not unwind here
      }
      ran = true;
    } else {
      // Every chunk handed out. Only a thread that saw this work open gets here, and it is
      // in flight until the fetch_sub below, so a close_background (which waits for none in
      // flight) and the next post's store of true both come after this store: it cannot
      // close later work.
      background_open_.store(false, std::memory_order_relaxed);
    }
  }
  background_in_flight_.fetch_sub(1, std::memory_order_release);
  return ran;
}

void ThreadPool::close_background() {
  background_open_.store(false);
  // As run()'s wait: a chunk's thread descheduled mid-chunk gets the core back.
  for (int spins = 0; background_in_flight_.load() != 0;)
    if (++spins < kSpins)
      pause();
    else
      std::this_thread::yield();
}

}  // namespace elbo
