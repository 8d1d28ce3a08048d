// Ratings that a worker reads itself from a partition of the data (--data-access shared): the
// lines of a core::DataPartition parsed into (user id, item id, rating) with integer ids, which
// the workers map to the job's dense rows once the scheduler has merged every partition's ids
// (apps/mf/mf_shared_scheduler_app.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/data_partition.h"

namespace strads::mf {

// Ids travel in the partials' doubles, which hold every integer of at most this magnitude.
inline constexpr int64_t kMaxSharedId = int64_t{1} << 53;

struct PartitionRatings {
  std::vector<int64_t> users;  // ids as read
  std::vector<int64_t> items;
  std::vector<double> values;
  // A (user, item) pair rated more than once within the partition keeps its last rating (in the
  // first one's place), and each earlier one is counted here. Repeats in different partitions
  // cannot be seen by one reader and are all kept.
  int64_t duplicates = 0;

  int64_t size() const { return static_cast<int64_t>(values.size()); }
};

// Reads the ratings of `partition`: "user item rating [timestamp]" lines separated by tabs,
// commas, "::" or spaces, as ReadTrainingRatings reads them. Skipped: blank lines, '#' and '%'
// comments, and header lines (user and rating fields both not numbers, e.g.
// "userId,movieId,rating,timestamp", at the top of each file). Ids must be integers of at most
// kMaxSharedId in magnitude ("01" and "1" are the same id); errors name the partition and the
// line within it.
//
// MatrixMarket coordinate files are read by the same rule, their banner, comments and size line
// left out of every partition (CutMatrixMarketPartitions); `shape`, when given, is the file's
// declared size, and every entry must lie inside it (1-based).
struct MatrixMarketShape {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t entries = 0;
  int64_t data_begin = 0;  // byte offset of the first line after the size line
};
absl::StatusOr<PartitionRatings> ReadPartitionRatings(const core::DataPartition& partition,
                                                      const MatrixMarketShape* shape = nullptr);

// nullopt when `path` is not a MatrixMarket file (its first line is no "%%MatrixMarket" banner).
// Otherwise its shape, or the error served data gives for the same file (an unsupported banner:
// only "matrix coordinate real|integer|double general", as ratings; a missing size line).
absl::StatusOr<std::optional<MatrixMarketShape>> ReadMatrixMarketShape(const std::string& path);
// Moves every range of `parts` past the file's header (data_begin), so no worker reads it.
void SkipMatrixMarketHeader(const MatrixMarketShape& shape,
                            std::vector<core::DataPartition>* parts);

// The distinct values of `ids`, ascending, and how often each occurs.
void CountIds(std::span<const int64_t> ids, std::vector<int64_t>* distinct,
              std::vector<int64_t>* counts);

// A shared-data shard's bytes: its partition of the training data and of the test data (empty
// when the job has none), and each one's MatrixMarket shape when it is one.
std::string EncodeSharedShard(const core::DataPartition& train, const core::DataPartition& test,
                              const std::optional<MatrixMarketShape>& train_shape = std::nullopt,
                              const std::optional<MatrixMarketShape>& test_shape = std::nullopt);
// True when `bytes` are a shared-data shard rather than ratings the scheduler sent.
bool IsSharedShard(std::string_view bytes);
struct SharedShard {
  core::DataPartition train;
  core::DataPartition test;
  std::optional<MatrixMarketShape> train_shape;
  std::optional<MatrixMarketShape> test_shape;
};
absl::StatusOr<SharedShard> DecodeSharedShard(std::string_view bytes);

}  // namespace strads::mf
