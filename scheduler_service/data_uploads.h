// Data files sent by clients (strads submit --upload), stored under DATA_DIR/uploads so jobs can
// name them. A file appears there only when its upload completed (temporary name, then rename),
// and an upload over the size limit is refused and removed.
// Thread-safety: Start may be called concurrently; each Upload is used by one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strads::scheduler {

class DataUploads {
 public:
  class Upload {
   public:
    Upload(std::string temporary_path, std::string final_path, int64_t max_bytes);
    ~Upload();  // removes the temporary file of an upload that was not committed
    absl::Status Append(std::string_view bytes);
    // Makes the file visible under its final path, which it returns.
    absl::StatusOr<std::string> Commit();
    int64_t bytes() const { return bytes_; }

   private:
    std::string temporary_path_;
    std::string final_path_;
    int64_t max_bytes_;
    std::ofstream out_;
    int64_t bytes_ = 0;
    bool committed_ = false;
  };

  DataUploads(std::string data_dir, int64_t max_bytes)
      : data_dir_(std::move(data_dir)), max_bytes_(max_bytes) {}

  // `file_name` is the client's name for the file; only its base name, with unusual characters
  // replaced, is kept, behind a unique prefix.
  absl::StatusOr<std::unique_ptr<Upload>> Start(std::string_view file_name);

 private:
  std::string data_dir_;
  int64_t max_bytes_;
  std::atomic<int64_t> counter_{0};
};

}  // namespace strads::scheduler
