// Test-only replacement of the global operator new that counts allocations, so tests can pin
// "allocates nothing in steady state". Link-time replacement applies to the whole core_tests
// binary; it only counts and forwards to malloc. Tests reach the count through a forward
// declaration of strads::core::testing_internal::AllocationCount().
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace strads::core::testing_internal {
namespace {
std::atomic<int64_t> allocations{0};
}  // namespace

int64_t AllocationCount() { return allocations.load(std::memory_order_relaxed); }

}  // namespace strads::core::testing_internal

namespace {

void* CountedAlloc(std::size_t size) noexcept {
  strads::core::testing_internal::allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}

}  // namespace

// Every non-aligned form is replaced, so each allocation is paired with the matching release
// (sanitizers check that pairing).
void* operator new(std::size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return CountedAlloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return CountedAlloc(size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
