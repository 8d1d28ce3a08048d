// The scheduler's record of which rows of one rating matrix (by user, or by item) each worker
// of a job holds. It follows the same rules as the worker's HeldRows (a shard given: hold its
// block; a shard dropped: drop its block's rows; a task: drop, then add), so the scheduler can
// plan transfers of exactly the rows a worker lacks. Workers are keyed by their
// core::WorkerView::member number. Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace strads::mf {

class RowHoldings {
 public:
  // Forgets every member; rows are those of a matrix of `rows` rows.
  void Reset(int64_t rows);

  bool Has(uint64_t member) const { return members_.contains(member); }
  // A member that holds nothing yet.
  void AddMember(uint64_t member);
  void RemoveMember(uint64_t member) { members_.erase(member); }
  // Every member not in `live` is forgotten.
  void RetainOnly(const std::vector<uint64_t>& live);

  void AddRange(uint64_t member, int64_t begin, int64_t end);
  void DropRange(uint64_t member, int64_t begin, int64_t end);

  // Makes `member` hold exactly rows [begin, end): appends to `drop` the [begin, end) pairs it
  // must drop and to `add` the pairs it must receive. O(rows moved) when the member held one
  // range, else one O(rows) scan.
  void MoveTo(uint64_t member, int64_t begin, int64_t end, std::vector<int64_t>* drop,
              std::vector<int64_t>* add);

  int64_t HeldRowCount(uint64_t member) const;
  // The mean index of the rows `member` holds; -1 when it holds none. O(rows).
  double MeanHeldRow(uint64_t member) const;

 private:
  struct Member {
    std::vector<uint8_t> held;  // per row
    // When the member holds exactly one range (begin <= end), that range; else begin = -1.
    int64_t begin = 0;
    int64_t end = 0;
  };
  Member& Get(uint64_t member);

  int64_t rows_ = 0;
  absl::flat_hash_map<uint64_t, Member> members_;
};

}  // namespace strads::mf
