// How many cores this process may use: the CPUs it is allowed to run on (sched_getaffinity),
// lowered to its container's CPU limit (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us over
// cpu.cfs_period_us), rounded up. The worker's default --threads: a pod limited to 4 CPUs on a
// 64-core node runs 4 threads, not 64 that the kernel would throttle.
#pragma once

#include <optional>
#include <string>

namespace strads::core {

// The CPU quota in cores from a cgroup v2 cpu.max text ("max 100000" or "QUOTA PERIOD"): nullopt
// when unlimited or unreadable (a limit we cannot read is no limit).
std::optional<double> ParseCgroupV2CpuMax(const std::string& text);
// Likewise from v1 cpu.cfs_quota_us ("-1" when unlimited) and cpu.cfs_period_us.
std::optional<double> ParseCgroupV1Quota(const std::string& quota_text,
                                         const std::string& period_text);

// The cores available under `root` (a path prefix: "" for the real root, a fake tree in tests):
// `affinity_cpus` lowered to the cgroup limit found under root/sys/fs/cgroup (v2: the process's
// own cgroup from root/proc/self/cgroup, then the mount's root; v1: the cpu controller's
// directory), rounded up, and never below 1.
int AvailableCores(const std::string& root, int affinity_cpus);

// AvailableCores("", CPUs in this process's sched_getaffinity mask, or
// std::thread::hardware_concurrency() when that fails).
int AvailableCoresOfThisProcess();

}  // namespace strads::core
