// The scheduler's standard surfaces, spoken to as generic gRPC clients (grpcurl, load balancers
// and Kubernetes probes do the same): the health service answers SERVING and server reflection
// lists the STRADS services.
#include <string>
#include <vector>

#include "client/local_cluster.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"

namespace strads {
namespace {

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

}  // namespace
}  // namespace strads
