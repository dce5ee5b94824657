#pragma once
// Several independent fits at once on `elbo fit --threads`: the recipe's KL-weight
// candidates and its ensemble members (cmd_fit.cpp). A fit of a small network gains little
// from a second thread at one draw per step, two fits side by side nearly twice as much;
// every fit gives the same bits for any thread count, so running them side by side changes
// the time alone, not the model (docs/CLI.md, "Recipes").
#include <cstdint>
#include <functional>

namespace elbo::cli {

/// Runs jobs 0 .. n - 1 (job(k, threads) fits and returns; `threads` is the job's share) on
/// `threads` threads: min(threads, n) workers take the jobs in order, each job with its
/// worker's share, threads / workers or one more (the first threads % workers workers), so
/// that the shares add up to `threads`. With one worker the jobs run one after the
/// other on the calling thread, with every thread, and print as they go. With more, each
/// job's report (report_lines.hpp) is kept and printed whole, in job order, as soon as the
/// jobs before it have been printed.
///
/// A job that throws stops the workers from taking more; once the running jobs have ended,
/// the reports of the jobs before it and its own are printed and its exception (the first
/// in job order) is rethrown.
void run_concurrent_fits(int64_t n, int threads, const std::function<void(int64_t job, int threads)>& job);

}  // namespace elbo::cli
