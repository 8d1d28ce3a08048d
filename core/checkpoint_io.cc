#include "core/checkpoint_io.h"

#include "absl/strings/str_cat.h"

namespace strads::core {

CheckpointWriter::CheckpointWriter(std::ostream& out, std::string_view tag) : out_(out) {
  Int(static_cast<int64_t>(tag.size()));
  Raw(tag.data(), tag.size());
}

void CheckpointWriter::Raw(const void* data, size_t size) {
  out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}

void CheckpointWriter::Int(int64_t value) { Raw(&value, sizeof(value)); }
void CheckpointWriter::Double(double value) { Raw(&value, sizeof(value)); }

void CheckpointWriter::Doubles(const std::vector<double>& values) {
  Int(static_cast<int64_t>(values.size()));
  Raw(values.data(), values.size() * sizeof(double));
}

void CheckpointWriter::Ints(std::span<const int64_t> values) {
  Int(static_cast<int64_t>(values.size()));
  for (int64_t value : values) Int(value);
}

absl::Status CheckpointWriter::Finish() {
  out_.flush();
  if (!out_) return absl::InternalError("writing the checkpoint failed");
  return absl::OkStatus();
}

CheckpointReader::CheckpointReader(std::istream& in, std::string_view tag) : in_(in) {
  const int64_t size = Int();
  if (!status_.ok() || size != static_cast<int64_t>(tag.size())) {
    status_ = absl::DataLossError(absl::StrCat("not a '", std::string(tag), "' checkpoint"));
    return;
  }
  std::string found(tag.size(), '\0');
  if (!Raw(found.data(), found.size()) || found != tag) {
    status_ = absl::DataLossError(absl::StrCat("not a '", std::string(tag), "' checkpoint"));
  }
}

bool CheckpointReader::Raw(void* data, size_t size) {
  if (!status_.ok()) return false;
  in_.read(static_cast<char*>(data), static_cast<std::streamsize>(size));
  if (static_cast<size_t>(in_.gcount()) != size) {
    status_ = absl::DataLossError("the checkpoint is truncated");
    return false;
  }
  return true;
}

int64_t CheckpointReader::Int() {
  int64_t value = 0;
  Raw(&value, sizeof(value));
  return value;
}

double CheckpointReader::Double() {
  double value = 0;
  Raw(&value, sizeof(value));
  return value;
}

void CheckpointReader::Doubles(size_t expected_size, std::vector<double>* values) {
  const int64_t size = Int();
  if (!status_.ok()) return;
  if (size != static_cast<int64_t>(expected_size)) {
    status_ = absl::DataLossError(absl::StrCat("the checkpoint holds ", size,
                                               " values where this job has ", expected_size,
                                               "; was it taken on other data?"));
    return;
  }
  values->resize(expected_size);
  Raw(values->data(), expected_size * sizeof(double));
}

bool CheckpointReader::ArraySizeUpTo(size_t max_size, const char* what, size_t* size) {
  const int64_t stored = Int();
  if (!status_.ok()) return false;
  if (stored < 0 || static_cast<uint64_t>(stored) > max_size) {
    status_ = absl::DataLossError(absl::StrCat("the checkpoint holds an array of ", stored, " ",
                                               what, "; at most ", max_size));
    return false;
  }
  *size = static_cast<size_t>(stored);
  return true;
}

void CheckpointReader::DoublesUpTo(size_t max_size, std::vector<double>* values) {
  size_t size = 0;
  if (!ArraySizeUpTo(max_size, "values", &size)) return;
  values->resize(size);
  Raw(values->data(), values->size() * sizeof(double));
}

void CheckpointReader::IntsUpTo(size_t max_size, std::vector<int64_t>* values) {
  size_t size = 0;
  if (!ArraySizeUpTo(max_size, "numbers", &size)) return;
  values->clear();
  values->reserve(size);
  for (size_t k = 0; k < size && status_.ok(); ++k) values->push_back(Int());
}

absl::Status CheckpointReader::Finish() {
  if (!status_.ok()) return status_;
  if (in_.peek() != std::char_traits<char>::eof()) {
    return absl::DataLossError("the checkpoint has trailing data");
  }
  return absl::OkStatus();
}

}  // namespace strads::core
