// A fixed team of threads for a worker's fork-join loops: Run(fn) calls fn(member) once for every
// member 0..size()-1 in parallel and returns when all have finished. Member 0 is the calling
// thread. Chosen over a task-queue pool (Eigen's ThreadPool) because the worker only ever splits
// one loop into `size()` static ranges: no queue, no allocation per Run, and idle members sleep
// on a condition instead of spinning (the machine's cores may be shared).
// Thread safety: Run may be called from one thread at a time (the worker's serving thread).
#pragma once

#include <cstdint>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"

namespace strads::core {

class ThreadTeam {
 public:
  // A team of `size` members (at least 1); size - 1 threads are started.
  explicit ThreadTeam(int size);
  ~ThreadTeam();
  ThreadTeam(const ThreadTeam&) = delete;
  ThreadTeam& operator=(const ThreadTeam&) = delete;

  int size() const { return size_; }
  // Calls fn(m) for every member m, in parallel, and waits for all. With one member it is a plain
  // call. fn must not call Run.
  void Run(absl::FunctionRef<void(int member)> fn);

 private:
  void Serve(int member);

  const int size_;
  std::vector<std::thread> threads_;
  absl::Mutex mu_;
  // The loop being run: generation_ counts Runs, so a member runs each one exactly once.
  const absl::FunctionRef<void(int)>* fn_ ABSL_GUARDED_BY(mu_) = nullptr;
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  int pending_ ABSL_GUARDED_BY(mu_) = 0;  // members still running the current generation
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// [begin, end) of part `part` when `count` items are cut into `parts` contiguous parts whose sizes
// differ by at most one.
struct IndexRange {
  int64_t begin = 0;
  int64_t end = 0;
};
inline IndexRange EvenPart(int64_t count, int parts, int part) {
  const int64_t base = count / parts;
  const int64_t extra = count % parts;
  const int64_t begin = part * base + (part < extra ? part : extra);
  return {begin, begin + base + (part < extra ? 1 : 0)};
}

}  // namespace strads::core
