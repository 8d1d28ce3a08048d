// Authentication and transport security: clients and workers present tokens of separate roles
// and are refused clearly without them; a TLS scheduler is reachable with its CA and not in
// plaintext.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/job_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler_service/scheduler_server.h"
#include "tests/cluster_test_support.h"
#include "worker_service/worker_runtime.h"

namespace strads {
namespace {

using ::testing::HasSubstr;
using testing::MakeTempDir;
using testing::RunToEnd;
using testing::WriteLassoProblem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

core::JobSpec SmallLassoJob(const std::string& dir) {
  lasso::LassoProblemOptions problem;
  problem.samples = 100;
  problem.features = 40;
  problem.density = 0.3;
  problem.seed = 4;
  EXPECT_TRUE(WriteLassoProblem(problem, dir + "/train.libsvm").ok());
  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = dir + "/train.libsvm";
  spec.workers = 1;
  return spec;
}

TEST(Security, TokensSeparateClientsFromWorkersAndRefuseStrangers) {
  const std::string dir = MakeTempDir("tokens");
  scheduler::SchedulerServerOptions options;
  options.jobs.data_dir = dir + "/data";
  options.client_token = "client-secret";
  options.worker_token = "worker-secret";
  scheduler::SchedulerServer server(options);
  ASSERT_TRUE(server.Start().ok());

  client::JobClient stranger(server.address());
  absl::StatusOr<std::vector<v1::JobStatus>> refused = stranger.List();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("--token-file"));

  client::JobClient impostor(server.address(), {.token = "worker-secret"});
  absl::StatusOr<std::string> submitted = impostor.Submit(SmallLassoJob(dir));
  ASSERT_FALSE(submitted.ok());
  EXPECT_EQ(submitted.status().code(), absl::StatusCode::kPermissionDenied);

  // A worker holding the client token is refused and gives up instead of retrying.
  worker::WorkerOptions bad_worker;
  bad_worker.scheduler_address = server.address();
  bad_worker.connection.token = "client-secret";
  absl::Status worker_status = worker::WorkerRuntime(bad_worker).Run();
  EXPECT_EQ(worker_status.code(), absl::StatusCode::kPermissionDenied) << worker_status;

  worker::WorkerOptions good_worker;
  good_worker.scheduler_address = server.address();
  good_worker.connection.token = "worker-secret";
  worker::WorkerRuntime runtime(good_worker);
  std::thread thread([&] { runtime.Run().IgnoreError(); });
  client::JobClient client(server.address(), {.token = "client-secret"});
  absl::StatusOr<v1::JobStatus> done = RunToEnd(client, SmallLassoJob(dir));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED) << done->message();
  runtime.Stop();
  thread.join();
  server.Shutdown();
}

TEST(Security, ATlsSchedulerIsReachedWithItsCaAndNotInPlaintext) {
  const std::string dir = MakeTempDir("tls");
  const std::string script =
      absl::StrCat("cd '", dir, "' && ",
                   "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
                   "-subj /CN=strads-test-ca && ",
                   "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
                   "-subj /CN=localhost && ",
                   "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > ext.cnf && ",
                   "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                   "-out server.pem -days 1 -extfile ext.cnf",
                   " > openssl.log 2>&1");
  ASSERT_EQ(std::system(script.c_str()), 0) << ReadFile(dir + "/openssl.log");

  scheduler::SchedulerServerOptions options;
  options.jobs.data_dir = dir + "/data";
  options.tls_cert_pem = ReadFile(dir + "/server.pem");
  options.tls_key_pem = ReadFile(dir + "/server.key");
  scheduler::SchedulerServer server(options);
  ASSERT_TRUE(server.Start().ok());

  client::JobClient secure(server.address(), {.tls_ca_pem = ReadFile(dir + "/ca.pem")});
  absl::StatusOr<std::vector<v1::JobStatus>> jobs = secure.List();
  EXPECT_TRUE(jobs.ok()) << jobs.status();

  client::JobClient plaintext(server.address());
  EXPECT_FALSE(plaintext.List().ok());

  worker::WorkerOptions worker_options;
  worker_options.scheduler_address = server.address();
  worker_options.connection.tls_ca_pem = ReadFile(dir + "/ca.pem");
  worker::WorkerRuntime runtime(worker_options);
  std::thread thread([&] { runtime.Run().IgnoreError(); });
  absl::StatusOr<v1::JobStatus> done = RunToEnd(secure, SmallLassoJob(dir));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED) << done->message();
  runtime.Stop();
  thread.join();
  server.Shutdown();
}

}  // namespace
}  // namespace strads
