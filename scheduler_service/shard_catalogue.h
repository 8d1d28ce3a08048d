// The shards workers can fetch: the encoded bytes of every shard of every running job. The job's
// runner fills it before assigning shards and clears it when the job ends; the FetchShard handler
// reads it from gRPC threads. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace strads::scheduler {

class ShardCatalogue {
 public:
  void Put(const std::string& job_id, std::vector<std::shared_ptr<const std::string>> shards);
  void Remove(const std::string& job_id);
  absl::StatusOr<std::shared_ptr<const std::string>> Get(const std::string& job_id,
                                                         int shard) const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::vector<std::shared_ptr<const std::string>>> shards_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace strads::scheduler
