#pragma once
// The threads a one-draw program run lends its kernels. A run of one sample executes its
// ops on the calling thread (the program's threads split samples), so a kernel with enough
// work of its own (a large matrix product) may split it into blocks, a number fixed by its
// sizes, and run them here: on the lent pool when the run lent one, else one after another
// on this thread. The blocks are the same either way, so the results do not depend on the
// thread count.
namespace elbo {

class ThreadPool;

namespace detail {

using KernelBlock = void (*)(void* context, int block);

/// Runs fn(context, b) for b in [0, blocks): on the pool lent to this thread, or in order
/// here when none is lent (or this thread already runs a task of a pool).
void run_kernel_blocks(int blocks, KernelBlock fn, void* context);

/// Lends `pool` to the kernels this thread runs while it lives.
class LendKernelThreads {
 public:
  explicit LendKernelThreads(ThreadPool* pool);
  ~LendKernelThreads();
  LendKernelThreads(const LendKernelThreads&) = delete;
  LendKernelThreads& operator=(const LendKernelThreads&) = delete;

 private:
  ThreadPool* previous_;
};

}  // namespace detail
}  // namespace elbo
