#include "apps/mf/partition_ratings.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "apps/mf/ratings.h"
#include "core/user_text.h"

namespace strads::mf {
namespace {

// How much of a partition's text a worker holds while parsing it.
constexpr int64_t kParseChunkBytes = 16 << 20;

constexpr std::string_view kSharedShardMagic = "strads-mf-shared-shard v3\n";

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
                                                      const MatrixMarketShape* shape) {
  PartitionRatings out;
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
    // A header may top every file of a directory of parts, so it is allowed on any line.
    absl::StatusOr<std::optional<RatingLine>> parsed =
        ParseRatingLine(line, /*header_allowed=*/true);
    if (!parsed.ok()) return fail(parsed.status());
    if (!parsed->has_value()) return absl::OkStatus();
    const absl::string_view fields[2] = {(*parsed)->user, (*parsed)->item};
    const double rating = (*parsed)->rating;
    int64_t user = 0;
    int64_t item = 0;
    if (absl::Status status = ParseId(fields[0], "user", &user); !status.ok()) return fail(status);
    if (absl::Status status = ParseId(fields[1], "item", &item); !status.ok()) return fail(status);
    if (shape != nullptr && (user < 1 || user > shape->rows)) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("row ", Quote(fields[0]), " is not in [1, ", shape->rows, "]")));
    }
    if (shape != nullptr && (item < 1 || item > shape->cols)) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("column ", Quote(fields[1]), " is not in [1, ", shape->cols, "]")));
    }
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
  if (absl::Status status = core::ForEachPartitionChunk(partition, kParseChunkBytes, parse_chunk);
      !status.ok()) {
    // Named by the file and its line, as served data's errors are, not the partition's.
    return core::WithFileLine(partition, line_number, status);
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

absl::StatusOr<std::optional<MatrixMarketShape>> ReadMatrixMarketShape(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!std::getline(in, line) || !absl::StartsWithIgnoreCase(line, "%%MatrixMarket")) {
    return std::nullopt;
  }
  if (absl::Status status = CheckRatingsMatrixMarketBanner(line); !status.ok()) {
    return absl::Status(status.code(), absl::StrCat(path, " line 1: ", status.message()));
  }
  int64_t line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    const absl::string_view view = absl::StripAsciiWhitespace(line);
    if (view.empty() || view[0] == '%') continue;
    absl::StatusOr<MatrixMarketSize> size = ParseMatrixMarketSize(view);
    if (!size.ok()) {
      return absl::Status(size.status().code(),
                          absl::StrCat(path, " line ", line_number, ": ", size.status().message()));
    }
    MatrixMarketShape shape{.rows = size->rows, .cols = size->cols, .entries = size->entries};
    shape.data_begin = static_cast<int64_t>(in.tellg());
    if (shape.data_begin < 0) shape.data_begin = std::filesystem::file_size(path);
    return shape;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": MatrixMarket file has no size line 'rows cols entries'"));
}

void SkipMatrixMarketHeader(const MatrixMarketShape& shape,
                            std::vector<core::DataPartition>* parts) {
  for (core::DataPartition& part : *parts) {
    for (core::FilePiece& piece : part.pieces) {
      piece.begin = std::max(piece.begin, shape.data_begin);
      piece.end = std::max(piece.end, piece.begin);
    }
  }
}

namespace {
std::string ShapeText(const std::optional<MatrixMarketShape>& shape) {
  if (!shape.has_value()) return "-";
  return absl::StrCat(shape->rows, ",", shape->cols, ",", shape->entries, ",", shape->data_begin);
}

absl::StatusOr<std::optional<MatrixMarketShape>> ParseShapeText(std::string_view text) {
  if (text == "-") return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(std::string(text), ',');
  MatrixMarketShape shape;
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[0], &shape.rows) ||
      !absl::SimpleAtoi(parts[1], &shape.cols) || !absl::SimpleAtoi(parts[2], &shape.entries) ||
      !absl::SimpleAtoi(parts[3], &shape.data_begin)) {
    return absl::DataLossError("shared-data mf shard: bad MatrixMarket shape");
  }
  return shape;
}
}  // namespace

std::string EncodeSharedShard(const core::DataPartition& train, const core::DataPartition& test,
                              const std::optional<MatrixMarketShape>& train_shape,
                              const std::optional<MatrixMarketShape>& test_shape) {
  const std::string train_bytes = core::EncodeDataPartition(train);
  return absl::StrCat(absl::string_view(kSharedShardMagic.data(), kSharedShardMagic.size()),
                      ShapeText(train_shape), " ", ShapeText(test_shape), "\n", train_bytes.size(),
                      "\n", train_bytes,
                      test.pieces.empty() ? std::string() : core::EncodeDataPartition(test));
}

bool IsSharedShard(std::string_view bytes) { return bytes.starts_with(kSharedShardMagic); }

absl::StatusOr<SharedShard> DecodeSharedShard(std::string_view bytes) {
  if (!IsSharedShard(bytes)) return absl::DataLossError("not a shared-data mf shard");
  bytes.remove_prefix(kSharedShardMagic.size());
  SharedShard shard;
  const size_t shapes_end = bytes.find('\n');
  const size_t space = bytes.substr(0, shapes_end).find(' ');
  if (shapes_end == std::string_view::npos || space == std::string_view::npos) {
    return absl::DataLossError("shared-data mf shard: bad format line");
  }
  absl::StatusOr<std::optional<MatrixMarketShape>> train_shape =
      ParseShapeText(bytes.substr(0, space));
  absl::StatusOr<std::optional<MatrixMarketShape>> test_shape =
      ParseShapeText(bytes.substr(space + 1, shapes_end - space - 1));
  if (!train_shape.ok()) return train_shape.status();
  if (!test_shape.ok()) return test_shape.status();
  shard.train_shape = *train_shape;
  shard.test_shape = *test_shape;
  bytes.remove_prefix(shapes_end + 1);
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
