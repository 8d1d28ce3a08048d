// The scheduler's standard surfaces, spoken to as generic gRPC clients (grpcurl, load balancers
// and Kubernetes probes do the same): the health service answers SERVING and server reflection
// lists the STRADS services. And the address it serves on: one scheduler per port, and a listen
// address gRPC would misread (no port, a port past 65535) is refused.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/local_cluster.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/cluster_test_support.h"

namespace strads {
namespace {

using ::testing::HasSubstr;

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// Blocks until the completion queue returns `tag`.
bool Await(grpc::CompletionQueue& queue, void* tag) {
  void* got = nullptr;
  bool ok = false;
  while (queue.Next(&got, &ok)) {
    if (got == tag) return ok;
  }
  return false;
}

class ServiceSurfaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<client::LocalCluster>(client::LocalClusterOptions{.workers = 0});
    ASSERT_TRUE(cluster_->Start().ok());
    channel_ = grpc::CreateChannel(cluster_->address(), grpc::InsecureChannelCredentials());
  }
  void TearDown() override { cluster_->Stop(); }

  std::unique_ptr<client::LocalCluster> cluster_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ServiceSurfaceTest, HealthServiceAnswersServing) {
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  grpc::CompletionQueue queue;
  // An empty HealthCheckRequest asks about the server as a whole.
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", Buffer(""), &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  int tag = 0;
  call->Finish(&response, &status, &tag);
  ASSERT_TRUE(Await(queue, &tag));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Bytes(response), std::string("\x08\x01", 2));  // status: SERVING
}

TEST_F(ServiceSurfaceTest, ReflectionListsTheStradsServices) {
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  grpc::CompletionQueue queue;
  auto stream = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  int start = 0, write = 1, read = 2, done = 3;
  stream->StartCall(&start);
  ASSERT_TRUE(Await(queue, &start));
  stream->Write(Buffer(std::string("\x3a\x00", 2)), &write);  // list_services: ""
  ASSERT_TRUE(Await(queue, &write));
  grpc::ByteBuffer response;
  stream->Read(&response, &read);
  ASSERT_TRUE(Await(queue, &read));
  const std::string listing = Bytes(response);
  EXPECT_NE(listing.find("strads.v1.JobService"), std::string::npos);
  EXPECT_NE(listing.find("strads.v1.WorkerService"), std::string::npos);
  stream->WritesDone(&done);
  Await(queue, &done);
  context.TryCancel();
  grpc::Status status;
  stream->Finish(&status, &done);
  Await(queue, &done);
}

scheduler::SchedulerServerOptions ListeningOn(const std::string& address) {
  scheduler::SchedulerServerOptions options;
  options.listen_address = address;
  options.jobs.data_dir = testing::MakeTempDir("listen");
  return options;
}

// gRPC sets SO_REUSEPORT unless told not to; with it, the second scheduler would start and take
// a share of the first one's connections.
TEST(SchedulerServerListen, RefusesAPortAnotherSchedulerListensOn) {
  client::LocalCluster first(client::LocalClusterOptions{.workers = 0});
  ASSERT_TRUE(first.Start().ok());
  scheduler::SchedulerServer second(ListeningOn(absl::StrCat("127.0.0.1:", first.server().port())));
  absl::Status status = second.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("address already in use"));
  first.Stop();
}

// Two schedulers on one data directory would resume the same jobs and overwrite each other's
// checkpoints; the second is refused before it reads anything, whatever port it asks for.
TEST(SchedulerServerListen, RefusesADataDirectoryAnotherSchedulerUses) {
  scheduler::SchedulerServerOptions options = ListeningOn("127.0.0.1:0");
  scheduler::SchedulerServer first(options);
  ASSERT_TRUE(first.Start().ok());
  scheduler::SchedulerServer second(options);
  absl::Status status = second.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("in use by another strads-scheduler"));
  first.Shutdown();
  scheduler::SchedulerServer third(options);
  EXPECT_TRUE(third.Start().ok()) << "the directory is free once the first is gone";
  third.Shutdown();
}

TEST(SchedulerServerListen, RefusesAnAddressWithoutAValidPort) {
  for (const char* address : {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:", ":7070"}) {
    scheduler::SchedulerServer server(ListeningOn(address));
    absl::Status status = server.Start();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << address << ": " << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(address));
  }
}

}  // namespace
}  // namespace strads
