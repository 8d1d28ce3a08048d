// Test-only: a temporary directory private to this test process. ctest runs the tests of one
// binary as parallel processes, so files under a shared ::testing::TempDir() would collide.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace strads {

inline std::string TestTempDir() {
  static const std::string dir = [] {
    std::filesystem::path path =
        std::filesystem::path(::testing::TempDir()) / ("strads-" + std::to_string(getpid()));
    std::filesystem::create_directories(path);
    return path.string();
  }();
  return dir;
}

}  // namespace strads
