#pragma once
// Counting replacements of the global operator new/delete and, on glibc, malloc and friends
// (Eigen allocates through malloc). Include this header in exactly one source file of a test
// binary of its own, so the replacement affects no other test. AddressSanitizer supplies its
// own allocator, so under ASan the counting is compiled out (ELBO_COUNT_ALLOCATIONS is 0).
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define ELBO_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ELBO_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef ELBO_COUNT_ALLOCATIONS
#define ELBO_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<bool> counting{false};
std::atomic<long> new_calls{0}, malloc_calls{0};

inline void note(std::atomic<long>& counter) {
  if (counting.load(std::memory_order_relaxed)) counter.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

#if ELBO_COUNT_ALLOCATIONS

// operator new takes its memory from malloc, so delete hands it to free; GCC cannot see
// that pairing through the replaced operators and warns.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#if defined(__GLIBC__)
// glibc's own entry points; defining malloc here interposes it for the whole process.
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);

void* malloc(size_t n) noexcept {
  note(malloc_calls);
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) noexcept {
  note(malloc_calls);
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) noexcept {
  note(malloc_calls);
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t alignment, size_t n) noexcept {
  note(malloc_calls);
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, size_t alignment, size_t n) noexcept {
  note(malloc_calls);
  void* p = __libc_memalign(alignment, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
}
#endif

void* operator new(std::size_t n) {
  note(new_calls);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  note(new_calls);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void* operator new(std::size_t n, std::align_val_t a) {
  note(new_calls);
  std::size_t al = static_cast<std::size_t>(a);
  if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

#endif  // ELBO_COUNT_ALLOCATIONS


namespace elbo::testing {

struct AllocationCounts {
  long news = 0, mallocs = 0;
};

/// Allocations made while f runs.
template <class F>
AllocationCounts count_allocations(F f) {
  new_calls = 0;
  malloc_calls = 0;
  counting = true;
  f();
  counting = false;
  return {new_calls.load(), malloc_calls.load()};
}

}  // namespace elbo::testing
