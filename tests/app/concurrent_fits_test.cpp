// Fits side by side on --threads (apps/elbo/concurrent_fits.hpp): each job's share of the
// threads, the reports printed whole and in job order, and the first failure rethrown.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "concurrent_fits.hpp"
#include "report_lines.hpp"

namespace elbo::cli {
namespace {

// Job k reports two lines with a pause between them; the earlier jobs pause longest, so
// that side by side they end last: printed as they end, the lines would come out of order.
void two_lines(int64_t k, int threads) {
  report("job %ld, %d thread%s\n", static_cast<long>(k), threads, threads == 1 ? "" : "s");
  std::this_thread::sleep_for(std::chrono::milliseconds(10 * (6 - k)));
  report("job %ld done\n", static_cast<long>(k));
}

std::string lines_of(int64_t n, int threads) {
  std::string expected;
  for (int64_t k = 0; k < n; ++k)
    expected += "job " + std::to_string(k) + ", " + std::to_string(threads) + (threads == 1 ? " thread\n" : " threads\n") +
                "job " + std::to_string(k) + " done\n";
  return expected;
}

TEST(concurrent_fits, prints_each_jobs_report_whole_and_in_job_order) {
  testing::internal::CaptureStdout();
  run_concurrent_fits(5, 2, two_lines);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), lines_of(5, 1));
}

TEST(concurrent_fits, shares_the_threads_among_the_jobs_at_once) {
  // Six threads for three jobs: three workers of two threads each.
  testing::internal::CaptureStdout();
  run_concurrent_fits(3, 6, two_lines);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), lines_of(3, 2));
  // Seven threads for five jobs: five workers, the first two with two threads, so that no
  // thread idles. Which job a worker takes depends on timing, so the shares are counted;
  // each job waits until all five have started, so that every worker takes one (a
  // deadline keeps a broken run from hanging).
  {
    std::mutex mutex;
    std::vector<int> shares;
    std::atomic<int> started{0};
    run_concurrent_fits(5, 7, [&](int64_t, int t) {
      ++started;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (started.load() < 5 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      std::lock_guard lock(mutex);
      shares.push_back(t);
    });
    std::sort(shares.begin(), shares.end());
    EXPECT_EQ(shares, (std::vector<int>{1, 1, 1, 2, 2}));
  }
  // One job, or one thread: the jobs in turn on the calling thread, with every thread.
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<int> threads;
  run_concurrent_fits(1, 4, [&](int64_t, int t) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    threads.push_back(t);
  });
  run_concurrent_fits(3, 1, [&](int64_t, int t) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    threads.push_back(t);
  });
  EXPECT_EQ(threads, (std::vector<int>{4, 1, 1, 1}));
  run_concurrent_fits(0, 2, [&](int64_t, int) { ADD_FAILURE() << "no jobs, no calls"; });
}

TEST(concurrent_fits, the_first_failure_in_job_order_is_rethrown_after_the_reports_before_it) {
  // Jobs 1 and 2 fail; job 2 fails first in time. Job 1's error is rethrown, the reports of
  // jobs 0 and 1 are printed and nothing after; no job after the failures is started
  // (on two workers, jobs 0-3 at most: job 2 fails while job 3 may have been taken).
  std::atomic<int64_t> started{0};
  testing::internal::CaptureStdout();
  try {
    run_concurrent_fits(8, 2, [&](int64_t k, int) {
      ++started;
      report("job %ld\n", static_cast<long>(k));
      if (k == 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        throw std::runtime_error("job 1 failed");
      }
      if (k == 2) throw std::runtime_error("job 2 failed");
    });
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "job 1 failed");
  }
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "job 0\njob 1\n");
  EXPECT_LE(started.load(), 4);
}

TEST(concurrent_fits, a_report_outside_a_capture_goes_to_standard_output) {
  testing::internal::CaptureStdout();
  report("plain %d\n", 1);
  {
    CapturedReport captured;
    report("kept %s\n", "aside");
    EXPECT_EQ(captured.out(), "kept aside\n");
    // A progress sink made while captured keeps the bar's closing line, not animated.
    const ProgressSink sink = report_progress_sink();
    EXPECT_FALSE(sink.terminal);
    sink.write("Finished\n");
    EXPECT_EQ(captured.err(), "Finished\n");
  }
  report("plain %d\n", 2);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "plain 1\nplain 2\n");
  EXPECT_FALSE(report_progress_sink().write);  // the library's default: standard error
}

}  // namespace
}  // namespace elbo::cli
