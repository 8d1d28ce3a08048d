// Data the workers read themselves: a data set on storage every worker sees (NFS, a Kubernetes
// ReadWriteMany volume, one host's disk) is cut into partitions that each worker reads alone, so
// the scheduler never holds or sends the samples. A partition is a list of byte ranges of text
// files; a line belongs to the range holding its first byte, so ranges cut anywhere and every
// line is read exactly once. Plain data; thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace strads::core {

// Bytes [begin, end) of one file: the lines that start there.
struct FilePiece {
  std::string path;
  int64_t begin = 0;
  int64_t end = 0;
};

struct DataPartition {
  std::vector<FilePiece> pieces;  // in data order
};

// Cuts `path` into `num_parts` partitions of about equal bytes. `path` is a text file, or a
// directory whose regular files named part-* (sorted by name) are the data in that order, as
// Spark and Hadoop write them. Files are split at byte offsets, not lines; ReadPartitionText
// aligns. Reads only the directory listing and file sizes. Refuses compressed files (a byte range
// of one cannot be read alone) and paths without data files.
absl::StatusOr<std::vector<DataPartition>> CutDataPartitions(const std::string& path,
                                                             int num_parts);

// The lines of `partition`, in order, each ending in '\n' (a last line without one gets it),
// handed to `consume` a chunk at a time: whole lines, at most `chunk_bytes` plus one line long (a
// line longer than a chunk comes whole), so a reader never holds more than that of the text.
// Lines starting in a piece are read whole even past its end; a line longer than a piece belongs
// to the piece where it starts, so a piece may yield nothing. Stops at the first error, from
// reading or from `consume`.
absl::Status ForEachPartitionChunk(const DataPartition& partition, int64_t chunk_bytes,
                                   const std::function<absl::Status(std::string_view)>& consume);

// Where the `line`-th line (1-based) that ForEachPartitionChunk hands out lies: its file and
// its line number in that file. For error messages (it reads the file up to there): a reader
// counts lines within its partition, the user the file's. NotFound past the partition's end.
struct FileLine {
  std::string path;
  int64_t line = 0;
};
absl::StatusOr<FileLine> LocatePartitionLine(const DataPartition& partition, int64_t line);

// `status` with its "<anything> line <line>: " prefix (as a reader of the partition wrote it)
// replaced by the file and its line (LocatePartitionLine); `status` as it is when either fails.
absl::Status WithFileLine(const DataPartition& partition, int64_t line, const absl::Status& status);

// A name for error messages: "data.libsvm bytes 0-1000" (the first piece; "+ 2 more" after).
std::string DescribePartition(const DataPartition& partition);

// Text encoding that travels as a shard's bytes (core/app.h ShardBytes). Paths must not contain
// a newline.
std::string EncodeDataPartition(const DataPartition& partition);
// True when `bytes` are an encoded partition rather than an encoded shard of data.
bool IsEncodedDataPartition(std::string_view bytes);
absl::StatusOr<DataPartition> DecodeDataPartition(std::string_view bytes);

}  // namespace strads::core
