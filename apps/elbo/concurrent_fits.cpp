// concurrent_fits.hpp.
#include "concurrent_fits.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "report_lines.hpp"

namespace elbo::cli {

void run_concurrent_fits(int64_t n, int threads, const std::function<void(int64_t job, int threads)>& job) {
  if (n <= 0) return;
  const int workers = static_cast<int>(std::min<int64_t>(std::max(threads, 1), n));
  if (workers == 1) {
    for (int64_t k = 0; k < n; ++k) job(k, std::max(threads, 1));
    return;
  }
  // Worker w's share: threads / workers, and one more for the first threads % workers
  // workers, so that no thread idles (seven threads, five fits: 2, 2, 1, 1, 1).
  auto share_of = [&](int w) { return threads / workers + (w < threads % workers ? 1 : 0); };
  struct Done {
    std::unique_ptr<CapturedReport> report;  // set once the job has ended
    std::exception_ptr error;
  };
  std::vector<Done> done(static_cast<size_t>(n));
  std::mutex mutex;
  int64_t next_job = 0, next_print = 0;
  bool failed = false;          // a job threw: no more jobs are taken
  bool printed_failure = false;  // its report is printed: nothing after it is
  // Prints the ended jobs' reports that are next in order (under the lock).
  auto print_ready = [&] {
    while (!printed_failure && next_print < n && done[static_cast<size_t>(next_print)].report) {
      const Done& d = done[static_cast<size_t>(next_print++)];
      d.report->print();
      printed_failure = d.error != nullptr;
    }
  };
  auto work = [&](int worker) {
    const int job_threads = share_of(worker);
    for (;;) {
      int64_t k;
      {
        std::lock_guard lock(mutex);
        if (failed || next_job == n) return;
        k = next_job++;
      }
      auto captured = std::make_unique<CapturedReport>();
      std::exception_ptr error;
      try {
        job(k, job_threads);
      } catch (...) {
        error = std::current_exception();
      }
      captured->stop();  // on this thread, before the report is handed over
      std::lock_guard lock(mutex);
      done[static_cast<size_t>(k)].error = error;
      done[static_cast<size_t>(k)].report = std::move(captured);
      if (error) failed = true;
      print_ready();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(workers - 1));
  for (int w = 1; w < workers; ++w) {
    try {
      pool.emplace_back(work, w);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the workers started take every job all the same
    }
  }
  work(0);
  for (std::thread& t : pool) t.join();
  // Every job before a failed one was taken and has ended, so its report is printed by now.
  for (const Done& d : done)
    if (d.error) std::rethrow_exception(d.error);
}

}  // namespace elbo::cli
