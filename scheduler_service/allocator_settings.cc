#include "scheduler_service/allocator_settings.h"

#include <cstdlib>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace strads::scheduler {

void ConfigureAllocator() {
#ifdef __GLIBC__
  // glibc gives threads that allocate at once arenas of their own (up to 8 per core) and keeps
  // each arena's freed pages: with a runner thread per job, the scheduler's RSS grew by half after
  // a load of short jobs although no job's data was kept. Two arenas, trimmed after jobs end
  // (job_manager.cc), bring most of it back; the scheduler's own work per round is light.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, kMaxArenas);
  // glibc's mmap threshold is dynamic: once a block it mapped is freed, blocks up to that size
  // come from the arenas instead (up to 32 MiB). After the first job, every later job's data
  // (parsed files, shards, gRPC messages of uploads) was carved from the arenas between the small
  // records that outlive it, and the pages those records sit on stayed resident after the job:
  // the 1.0-2.5 MiB the load test measured as "free but resident" after the load. A fixed
  // threshold keeps large blocks in mappings of their own, returned whole when freed.
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) {
    mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  }
#endif
}

}  // namespace strads::scheduler
