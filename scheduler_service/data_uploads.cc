#include "scheduler_service/data_uploads.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace strads::scheduler {
namespace fs = std::filesystem;

namespace {

std::string SafeBaseName(std::string_view file_name) {
  std::string base = fs::path(std::string(file_name)).filename().string();
  for (char& c : base) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
    if (!plain) c = '_';
  }
  if (base.empty() || base == "." || base == "..") base = "data";
  return base;
}

}  // namespace

DataUploads::Upload::Upload(std::string temporary_path, std::string final_path, int64_t max_bytes)
    : temporary_path_(std::move(temporary_path)),
      final_path_(std::move(final_path)),
      max_bytes_(max_bytes),
      out_(temporary_path_, std::ios::binary | std::ios::trunc) {}

DataUploads::Upload::~Upload() {
  if (!committed_) {
    out_.close();
    std::error_code ignored;
    fs::remove(temporary_path_, ignored);
  }
}

absl::Status DataUploads::Upload::Append(std::string_view bytes) {
  if (!out_) return absl::InternalError("cannot write the uploaded file on the scheduler");
  bytes_ += static_cast<int64_t>(bytes.size());
  if (bytes_ > max_bytes_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("upload larger than the scheduler's limit of ", max_bytes_, " bytes"));
  }
  out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return absl::OkStatus();
}

absl::StatusOr<std::string> DataUploads::Upload::Commit() {
  out_.close();
  if (!out_) return absl::InternalError("writing the uploaded file on the scheduler failed");
  std::error_code error;
  fs::rename(temporary_path_, final_path_, error);
  if (error) return absl::InternalError(absl::StrCat("cannot store the upload: ", error.message()));
  committed_ = true;
  return final_path_;
}

absl::StatusOr<std::unique_ptr<DataUploads::Upload>> DataUploads::Start(
    std::string_view file_name) {
  const fs::path dir = fs::path(data_dir_) / "uploads";
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create '", dir.string(), "': ", error.message()));
  }
  const std::string name =
      absl::StrCat(absl::ToUnixMillis(absl::Now()), "-", counter_++, "-", SafeBaseName(file_name));
  const fs::path final_path = dir / name;
  return std::make_unique<Upload>((dir / ("." + name + ".part")).string(), final_path.string(),
                                  max_bytes_);
}

}  // namespace strads::scheduler
