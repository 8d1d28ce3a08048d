#include "core/host_port.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

using ::testing::HasSubstr;

TEST(CheckHostPort, AcceptsHostPortWithThePortInRange) {
  for (const char* address : {"127.0.0.1:7070", "localhost:1", "[::1]:65535", "my-host:8080"}) {
    EXPECT_TRUE(CheckHostPort("--server", address, 1).ok()) << address;
  }
  EXPECT_TRUE(CheckHostPort("--listen", "0.0.0.0:0", 0).ok());
}

// gRPC would use port 443 for a missing port and wrap 99999 to 34463.
TEST(CheckHostPort, RefusesAMissingOrOutOfRangePortNamingTheFlag) {
  struct Case {
    const char* address;
    int min_port;
    const char* says;
  };
  for (const Case& c :
       {Case{"127.0.0.1", 1, "no port"}, Case{"127.0.0.1:", 1, "got ''"},
        Case{"127.0.0.1:103409", 1, "from 1 to 65535, got '103409'"},
        Case{"127.0.0.1:99999", 0, "from 0 to 65535"}, Case{"127.0.0.1:0", 1, "got '0'"},
        Case{"127.0.0.1:-1", 0, "got '-1'"}, Case{"127.0.0.1:80x", 1, "got '80x'"},
        Case{":7070", 1, "no host"}, Case{"::1:7070", 1, "brackets"}, Case{"[::1]", 1, "no port"},
        Case{"bad host:1", 1, "not a host"}}) {
    absl::Status status = CheckHostPort("--server", c.address, c.min_port);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.address;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.says)) << c.address;
    EXPECT_THAT(std::string(status.message()), HasSubstr("--server")) << c.address;
  }
  EXPECT_EQ(CheckHostPort("--server", "", 1).message(), "--server is empty; give HOST:PORT");
}

}  // namespace
}  // namespace strads::core
