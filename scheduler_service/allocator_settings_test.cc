#include "scheduler_service/allocator_settings.h"

#include <cstdlib>
#include <cstring>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

#ifdef __GLIBC__
// Allocates and touches `bytes`; the block escapes, so the compiler cannot drop the allocation.
char* Touched(size_t bytes) {
  char* block = static_cast<char*>(std::malloc(bytes));
  std::memset(block, 1, bytes);
  asm volatile("" : : "r"(block) : "memory");
  return block;
}

TEST(AllocatorSettings, LargeBlocksKeepMappingsOfTheirOwnAfterALargerOneIsFreed) {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr) GTEST_SKIP() << "set in the environment";
  ConfigureAllocator();
  // With glibc's dynamic threshold, freeing a mapped 8 MiB block raises the threshold to 8 MiB,
  // and the 1 MiB block after it would come from an arena (and leave its pages there).
  std::free(Touched(8 << 20));
  const size_t mapped_before = mallinfo2().hblkhd;
  char* block = Touched(1 << 20);
  const size_t mapped_with_block = mallinfo2().hblkhd;
  std::free(block);
  EXPECT_GE(mapped_with_block, mapped_before + (1 << 20));
  EXPECT_LT(mallinfo2().hblkhd, mapped_with_block);  // returned whole
}

TEST(AllocatorSettings, SmallBlocksStayInTheArenas) {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr) GTEST_SKIP() << "set in the environment";
  ConfigureAllocator();
  const size_t mapped_before = mallinfo2().hblkhd;
  char* block = Touched(kMmapThresholdBytes / 4);
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before);
  std::free(block);
}
#endif

}  // namespace
}  // namespace strads::scheduler
