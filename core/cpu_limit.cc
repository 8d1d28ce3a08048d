#include "core/cpu_limit.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strads::core {
namespace {

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<double> Quota(int64_t quota, int64_t period) {
  if (quota <= 0 || period <= 0) return std::nullopt;
  return static_cast<double>(quota) / static_cast<double>(period);
}

// The cgroup v2 path of this process ("0::/kubepods/pod1/abc" -> "/kubepods/pod1/abc").
std::optional<std::string> OwnCgroupV2Path(const std::string& root) {
  std::optional<std::string> text = ReadSmallFile(root + "/proc/self/cgroup");
  if (!text) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (absl::ConsumePrefix(&line, "0::")) return std::string(line);
  }
  return std::nullopt;
}

std::optional<double> CgroupLimit(const std::string& root) {
  const std::string mount = root + "/sys/fs/cgroup";
  // v2: the process's own cgroup (outside a cgroup namespace the mount shows the whole tree),
  // then the mount's root (inside a container's namespace that is the container's cgroup).
  std::vector<std::string> v2_dirs;
  if (std::optional<std::string> own = OwnCgroupV2Path(root); own && *own != "/") {
    v2_dirs.push_back(mount + *own);
  }
  v2_dirs.push_back(mount);
  for (const std::string& dir : v2_dirs) {
    if (std::optional<std::string> text = ReadSmallFile(dir + "/cpu.max")) {
      return ParseCgroupV2CpuMax(*text);
    }
  }
  for (const char* dir : {"/cpu", "/cpu,cpuacct", "/cpuacct,cpu"}) {
    std::optional<std::string> quota = ReadSmallFile(mount + dir + "/cpu.cfs_quota_us");
    std::optional<std::string> period = ReadSmallFile(mount + dir + "/cpu.cfs_period_us");
    if (quota && period) return ParseCgroupV1Quota(*quota, *period);
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> ParseCgroupV2CpuMax(const std::string& text) {
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(text), ' ', absl::SkipEmpty());
  if (fields.empty() || fields[0] == "max") return std::nullopt;
  int64_t quota = 0;
  int64_t period = 100000;  // the kernel's default when only the quota is written
  if (!absl::SimpleAtoi(fields[0], &quota)) return std::nullopt;
  if (fields.size() > 1 && !absl::SimpleAtoi(fields[1], &period)) return std::nullopt;
  return Quota(quota, period);
}

std::optional<double> ParseCgroupV1Quota(const std::string& quota_text,
                                         const std::string& period_text) {
  int64_t quota = 0;
  int64_t period = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(quota_text), &quota) ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(period_text), &period)) {
    return std::nullopt;
  }
  return Quota(quota, period);
}

int AvailableCores(const std::string& root, int affinity_cpus) {
  int cores = std::max(1, affinity_cpus);
  if (std::optional<double> limit = CgroupLimit(root)) {
    // 1.5 CPUs lets 2 threads make progress; fractions below 1 still get one thread.
    cores = std::min(cores, static_cast<int>(std::ceil(*limit - 1e-9)));
  }
  return std::max(1, cores);
}

int AvailableCoresOfThisProcess() {
  int affinity = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) affinity = CPU_COUNT(&set);
  if (affinity <= 0) affinity = static_cast<int>(std::thread::hardware_concurrency());
  return AvailableCores("", affinity);
}

}  // namespace strads::core
