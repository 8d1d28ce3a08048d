// A small binary format for app checkpoints: a tag naming the app and format version, then
// little-endian integers, doubles and length-prefixed double arrays. The reader checks the tag,
// every length against what the caller expects, and the end of the data, so a checkpoint from
// another app, another data set or a truncated file is refused instead of misread.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace strads::core {

class CheckpointWriter {
 public:
  CheckpointWriter(std::ostream& out, std::string_view tag);
  void Int(int64_t value);
  void Double(double value);
  void Doubles(const std::vector<double>& values);
  void Ints(std::span<const int64_t> values);
  // OK unless a write failed.
  absl::Status Finish();

 private:
  void Raw(const void* data, size_t size);
  std::ostream& out_;
};

class CheckpointReader {
 public:
  // Reads and checks the tag; a mismatch makes status() an error.
  CheckpointReader(std::istream& in, std::string_view tag);
  int64_t Int();
  double Double();
  // Reads an array that must have exactly `expected_size` elements.
  void Doubles(size_t expected_size, std::vector<double>* values);
  // Arrays of any size up to `max_size` (a bound, so a damaged size cannot allocate without end).
  void DoublesUpTo(size_t max_size, std::vector<double>* values);
  void IntsUpTo(size_t max_size, std::vector<int64_t>* values);
  // The first error met, or an error if data remains after what was read.
  absl::Status Finish();
  const absl::Status& status() const { return status_; }

 private:
  bool Raw(void* data, size_t size);
  // Reads an array's stored size into `size`; false (with status_ set) past `max_size`.
  bool ArraySizeUpTo(size_t max_size, const char* what, size_t* size);
  std::istream& in_;
  absl::Status status_;
};

}  // namespace strads::core
