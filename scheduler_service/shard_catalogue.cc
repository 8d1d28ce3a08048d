#include "scheduler_service/shard_catalogue.h"

#include "absl/strings/str_cat.h"

namespace strads::scheduler {

void ShardCatalogue::Put(const std::string& job_id,
                         std::vector<std::shared_ptr<const std::string>> shards) {
  absl::MutexLock lock(&mu_);
  shards_[job_id] = std::move(shards);
}

void ShardCatalogue::Remove(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  shards_.erase(job_id);
}

absl::StatusOr<std::shared_ptr<const std::string>> ShardCatalogue::Get(const std::string& job_id,
                                                                       int shard) const {
  absl::MutexLock lock(&mu_);
  auto it = shards_.find(job_id);
  if (it == shards_.end()) {
    return absl::NotFoundError(absl::StrCat("job '", job_id, "' has no shards being served"));
  }
  if (shard < 0 || shard >= static_cast<int>(it->second.size())) {
    return absl::OutOfRangeError(absl::StrCat("job '", job_id, "' has ", it->second.size(),
                                              " shards; shard ", shard, " does not exist"));
  }
  return it->second[shard];
}

}  // namespace strads::scheduler
