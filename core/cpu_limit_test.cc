#include "core/cpu_limit.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

// A fake file system root under the test's temp dir, empty at first.
class FakeRoot {
 public:
  explicit FakeRoot(const std::string& name) : root_(TestTempDir() + "/" + name) {
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void Write(const std::string& path, const std::string& text) {
    const std::filesystem::path full = root_ + path;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full) << text;
  }
  const std::string& path() const { return root_; }

 private:
  std::string root_;
};

TEST(ParseCgroupV2CpuMax, ReadsQuotaOverPeriodAndMaxAsUnlimited) {
  EXPECT_EQ(ParseCgroupV2CpuMax("max 100000\n"), std::nullopt);
  EXPECT_DOUBLE_EQ(*ParseCgroupV2CpuMax("200000 100000\n"), 2.0);
  EXPECT_DOUBLE_EQ(*ParseCgroupV2CpuMax("150000 100000"), 1.5);
  EXPECT_DOUBLE_EQ(*ParseCgroupV2CpuMax("50000"), 0.5);  // default period
  EXPECT_EQ(ParseCgroupV2CpuMax(""), std::nullopt);
  EXPECT_EQ(ParseCgroupV2CpuMax("lots 100000"), std::nullopt);
  EXPECT_EQ(ParseCgroupV2CpuMax("100000 0"), std::nullopt);
}

TEST(ParseCgroupV1Quota, ReadsQuotaOverPeriodAndMinusOneAsUnlimited) {
  EXPECT_EQ(ParseCgroupV1Quota("-1\n", "100000\n"), std::nullopt);
  EXPECT_DOUBLE_EQ(*ParseCgroupV1Quota("400000\n", "100000\n"), 4.0);
  EXPECT_EQ(ParseCgroupV1Quota("x", "100000"), std::nullopt);
}

TEST(AvailableCores, NoCgroupFilesMeansTheAffinityMask) {
  FakeRoot root("no_cgroup");
  EXPECT_EQ(AvailableCores(root.path(), 16), 16);
  EXPECT_EQ(AvailableCores(root.path(), 0), 1);
}

TEST(AvailableCores, CgroupV2LimitLowersTheAffinityAndRoundsUp) {
  FakeRoot root("v2");
  root.Write("/sys/fs/cgroup/cpu.max", "250000 100000\n");
  EXPECT_EQ(AvailableCores(root.path(), 16), 3);
  EXPECT_EQ(AvailableCores(root.path(), 2), 2);  // a limit above the mask does not raise it
  root.Write("/sys/fs/cgroup/cpu.max", "20000 100000\n");
  EXPECT_EQ(AvailableCores(root.path(), 16), 1);  // a fraction of a core is still one thread
  root.Write("/sys/fs/cgroup/cpu.max", "max 100000\n");
  EXPECT_EQ(AvailableCores(root.path(), 16), 16);
}

TEST(AvailableCores, CgroupV2PrefersTheProcessOwnCgroup) {
  FakeRoot root("v2_own");
  root.Write("/proc/self/cgroup", "0::/kubepods/pod7/worker\n");
  root.Write("/sys/fs/cgroup/cpu.max", "max 100000\n");
  root.Write("/sys/fs/cgroup/kubepods/pod7/worker/cpu.max", "400000 100000\n");
  EXPECT_EQ(AvailableCores(root.path(), 64), 4);
}

TEST(AvailableCores, CgroupV1QuotaOverPeriod) {
  FakeRoot root("v1");
  root.Write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "600000\n");
  root.Write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(AvailableCores(root.path(), 32), 6);
  root.Write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  EXPECT_EQ(AvailableCores(root.path(), 32), 32);
}

TEST(AvailableCores, ThisProcessHasAtLeastOne) { EXPECT_GE(AvailableCoresOfThisProcess(), 1); }

}  // namespace
}  // namespace strads::core
