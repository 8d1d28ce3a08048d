// How strads-scheduler sets up glibc's allocator so that its memory returns to its pre-load level
// once jobs end (the load test's goal; measured in docs/benchmarks.md, load-test section).
// Called once at the start of main, before any thread starts. A no-op off glibc.
#pragma once

namespace strads::scheduler {

// Large blocks (from kMmapThresholdBytes on) get mappings of their own, returned to the system
// when freed, whatever was freed before. Settings in the environment (MALLOC_ARENA_MAX,
// MALLOC_MMAP_THRESHOLD_) win over the ones made here.
inline constexpr int kMaxArenas = 2;
inline constexpr int kMmapThresholdBytes = 128 * 1024;
void ConfigureAllocator();

}  // namespace strads::scheduler
