// kernel_threads.hpp.
#include "kernel_threads.hpp"

#include "thread_pool.hpp"

namespace elbo::detail {
namespace {
thread_local ThreadPool* lent = nullptr;
}  // namespace

void run_kernel_blocks(int blocks, KernelBlock fn, void* context) {
  ThreadPool* pool = lent;
  if (pool && blocks > 1 && !ThreadPool::in_task()) {
    pool->run(blocks, fn, context);
    return;
  }
  for (int b = 0; b < blocks; ++b) fn(context, b);
}

LendKernelThreads::LendKernelThreads(ThreadPool* pool) : previous_(lent) { lent = pool; }
LendKernelThreads::~LendKernelThreads() { lent = previous_; }

}  // namespace elbo::detail
