#include "apps/mf/partition_ratings.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "apps/mf/ratings.h"
#include "core/user_text.h"

namespace strads::mf {
namespace {

// How much of a partition's text a worker holds while parsing it.
constexpr int64_t kParseChunkBytes = 16 << 20;

constexpr std::string_view kSharedShardMagic = "strads-mf-shared-shard v2\n";

std::string Quote(absl::string_view text) {
  return core::QuoteUserText(std::string_view(text.data(), text.size()), 80);
}

absl::Status ParseId(absl::string_view text, const char* what, int64_t* id) {
  if (!absl::SimpleAtoi(text, id) || *id > kMaxSharedId || *id < -kMaxSharedId) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " id ", Quote(text),
        " is not an integer of at most 2^53; shared data needs integer ids (served data, "
        "--data-access served, takes any text)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PartitionRatings> ReadPartitionRatings(const core::DataPartition& partition,
                                                      bool matrix_market) {
  PartitionRatings out;
  bool size_line_pending = false;  // MatrixMarket: the piece starts a file, so its size line
  // The position of every distinct (user, item) pair, hashed and compared through the ratings
  // read so far (8 bytes a slot instead of a copy of both ids), to keep the last of repeats.
  const auto pair_hash = [&out](int64_t at) {
    return absl::Hash<std::pair<int64_t, int64_t>>{}({out.users[at], out.items[at]});
  };
  const auto same_pair = [&out](int64_t a, int64_t b) {
    return out.users[a] == out.users[b] && out.items[a] == out.items[b];
  };
  absl::flat_hash_set<int64_t, decltype(pair_hash), decltype(same_pair)> seen(0, pair_hash,
                                                                              same_pair);
  int64_t line_number = 0;
  auto fail = [&](const absl::Status& status) {
    return absl::Status(status.code(), absl::StrCat(core::DescribePartition(partition), " line ",
                                                    line_number, ": ", status.message()));
  };
  auto parse_line = [&](absl::string_view line) -> absl::Status {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#' || line[0] == '%') return absl::OkStatus();
    if (size_line_pending) {
      size_line_pending = false;  // "rows columns entries": the whole file's, not a rating
      return absl::OkStatus();
    }
    absl::string_view fields[4];
    size_t pos = 0;
    int count = 0;
    for (absl::string_view field = NextField(line, &pos); !field.empty();
         field = NextField(line, &pos)) {
      if (count == 4) {
        count = 5;
        break;
      }
      fields[count++] = field;
    }
    if (count < 3 || count > 4) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("expected 'user item rating [timestamp]' separated by tabs, commas, '::' "
                       "or spaces, got ",
                       Quote(line))));
    }
    double rating = 0;
    double number = 0;
    if (!absl::SimpleAtod(fields[2], &rating)) {
      // A header such as "userId,movieId,rating,timestamp" at the top of a file.
      if (!absl::SimpleAtod(fields[0], &number)) return absl::OkStatus();
      return fail(absl::InvalidArgumentError(
          absl::StrCat("rating ", Quote(fields[2]), " is not a number")));
    }
    if (!std::isfinite(rating)) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          "rating ", Quote(fields[2]), " is not finite; NaN and infinity are refused")));
    }
    int64_t user = 0;
    int64_t item = 0;
    if (absl::Status status = ParseId(fields[0], "user", &user); !status.ok()) return fail(status);
    if (absl::Status status = ParseId(fields[1], "item", &item); !status.ok()) return fail(status);
    out.users.push_back(user);
    out.items.push_back(item);
    out.values.push_back(rating);
    auto [it, inserted] = seen.insert(out.size() - 1);
    if (!inserted) {
      // A repeat: the last rating takes the first one's place.
      out.values[*it] = rating;
      out.users.pop_back();
      out.items.pop_back();
      out.values.pop_back();
      ++out.duplicates;
    }
    return absl::OkStatus();
  };
  auto parse_chunk = [&](std::string_view chunk) {
    size_t start = 0;
    while (start < chunk.size()) {
      size_t end = chunk.find('\n', start);
      if (end == std::string_view::npos) end = chunk.size();
      ++line_number;
      if (absl::Status status = parse_line(absl::string_view(chunk.data() + start, end - start));
          !status.ok()) {
        return status;
      }
      start = end + 1;
    }
    return absl::OkStatus();
  };
  // Piece by piece: a MatrixMarket size line is the first data line of a piece that starts a file.
  for (const core::FilePiece& piece : partition.pieces) {
    size_line_pending = matrix_market && piece.begin == 0;
    if (absl::Status status = core::ForEachPartitionChunk(core::DataPartition{{piece}},
                                                          kParseChunkBytes, parse_chunk);
        !status.ok()) {
      return status;
    }
  }
  return out;
}

void CountIds(std::span<const int64_t> ids, std::vector<int64_t>* distinct,
              std::vector<int64_t>* counts) {
  std::vector<int64_t> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  distinct->clear();
  counts->clear();
  for (size_t k = 0; k < sorted.size(); ++k) {
    if (k == 0 || sorted[k] != sorted[k - 1]) {
      distinct->push_back(sorted[k]);
      counts->push_back(0);
    }
    ++counts->back();
  }
}

std::string EncodeSharedShard(const core::DataPartition& train, const core::DataPartition& test,
                              bool train_matrix_market, bool test_matrix_market) {
  const std::string train_bytes = core::EncodeDataPartition(train);
  return absl::StrCat(absl::string_view(kSharedShardMagic.data(), kSharedShardMagic.size()),
                      train_matrix_market ? 1 : 0, test_matrix_market ? 1 : 0, "\n",
                      train_bytes.size(), "\n", train_bytes,
                      test.pieces.empty() ? std::string() : core::EncodeDataPartition(test));
}

bool IsSharedShard(std::string_view bytes) { return bytes.starts_with(kSharedShardMagic); }

absl::StatusOr<SharedShard> DecodeSharedShard(std::string_view bytes) {
  if (!IsSharedShard(bytes)) return absl::DataLossError("not a shared-data mf shard");
  bytes.remove_prefix(kSharedShardMagic.size());
  SharedShard shard;
  if (bytes.size() < 3 || bytes[2] != '\n' || (bytes[0] != '0' && bytes[0] != '1') ||
      (bytes[1] != '0' && bytes[1] != '1')) {
    return absl::DataLossError("shared-data mf shard: bad format flags");
  }
  shard.train_matrix_market = bytes[0] == '1';
  shard.test_matrix_market = bytes[1] == '1';
  bytes.remove_prefix(3);
  const size_t newline = bytes.find('\n');
  size_t train_size = 0;
  if (newline == std::string_view::npos ||
      std::from_chars(bytes.data(), bytes.data() + newline, train_size).ptr !=
          bytes.data() + newline ||
      train_size > bytes.size() - newline - 1) {
    return absl::DataLossError("shared-data mf shard: bad length of its training partition");
  }
  bytes.remove_prefix(newline + 1);
  absl::StatusOr<core::DataPartition> train =
      core::DecodeDataPartition(bytes.substr(0, train_size));
  if (!train.ok()) return train.status();
  shard.train = *std::move(train);
  bytes.remove_prefix(train_size);
  if (!bytes.empty()) {
    absl::StatusOr<core::DataPartition> test = core::DecodeDataPartition(bytes);
    if (!test.ok()) return test.status();
    shard.test = *std::move(test);
  }
  return shard;
}

}  // namespace strads::mf
