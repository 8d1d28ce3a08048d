// The worker half of the MF app: holds the ratings of the rows it is given (users by user, items
// by item: its shards' blocks plus rows moved to it since), solves the rows it is scheduled
// against the other factor's rows that arrive with the task, and reports the new rows.
// Protocol: apps/mf/mf_protocol.h. Not thread-safe: the worker runtime calls it from one thread,
// and it solves a task's rows over the worker's ThreadTeam (rows are independent; each part has
// its own RowSolver, and the squared error adds the rows in solve order whatever the team).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "apps/mf/held_rows.h"
#include "apps/mf/mf_math.h"
#include "core/app.h"

namespace strads::mf {

class MfWorkerApp final : public core::WorkerApp {
 public:
  void UseThreads(core::ThreadTeam* team) override;
  absl::Status Configure(const core::JobSpec& spec) override;
  absl::Status AddShard(int shard, std::string_view bytes, const core::Payload& init) override;
  // Drops the rows of the shard's blocks (wherever they came from), as the scheduler expects.
  void DropShard(int shard) override;
  // MF sends no cache updates (factor rows travel with tasks): refuses a non-empty one.
  absl::Status Apply(const core::Payload& update) override;
  // Applies the task's drops and adds, then solves. Refuses to solve a row it does not hold.
  // Allocation-free once `out` and the factor buffers have grown, when no rows move.
  absl::Status Push(const core::Payload& task, core::Partial* out) override;

  const HeldRows& users() const { return by_user_; }
  const HeldRows& items() const { return by_item_; }

 private:
  struct Blocks {
    std::pair<int64_t, int64_t> users;
    std::pair<int64_t, int64_t> items;
  };

  int64_t rank_ = 0;
  int64_t stride_ = 0;  // values per factor row: factors, then bias
  bool configured_ = false;
  SolveOptions solve_;              // lambda and mu from the first shard's init
  std::vector<RowSolver> solvers_;  // one per part of the team, from the first shard on
  int64_t users_ = -1;              // dimensions of the job's matrix, known from the first shard
  int64_t items_ = -1;
  absl::flat_hash_map<int, Blocks> shards_;
  HeldRows by_user_;
  HeldRows by_item_;
  // The other factor's rows as last received, at their dense index (rows not carried by the
  // current task are stale and never read: the task carries every row its ratings touch).
  std::vector<double> w_;
  std::vector<double> h_;

  core::ThreadTeam* team_ = nullptr;  // lent by the runtime; nullptr means the calling thread
  // Scratch of the current push, kept across rounds: the rows to solve in solve order, the
  // ratings before each (where the parts are cut: about equal ratings each), each row's error.
  std::vector<int64_t> solve_rows_;
  std::vector<int64_t> ratings_before_;
  std::vector<double> row_errors_;
};

}  // namespace strads::mf
