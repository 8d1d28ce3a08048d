// The operators' HTTP port (--http-listen) against a real scheduler and workers in this process:
// readiness that tells the truth (NOT_SERVING from the start of a drain until the jobs are
// checkpointed, on gRPC health and /readyz alike), probes that answer while gRPC serves TLS,
// the client token on the page and the API, and metrics that move while a job runs.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "client/job_client.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "scheduler_service/http/scheduler_http_server.h"
#include "scheduler_service/http/scheduler_metrics.h"
#include "scheduler_service/scheduler_server.h"
#include "tests/cluster_test_support.h"
#include "worker_service/http/worker_http_server.h"
#include "worker_service/worker_runtime.h"

namespace strads {
namespace {

using ::testing::HasSubstr;
using testing::MakeTempDir;
using testing::WriteLassoProblem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The gRPC health service's answer about the whole server: 1 SERVING, 2 NOT_SERVING, -1 when the
// call failed.
int GrpcHealth(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::CompletionQueue queue;
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request, &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  int tag = 0;
  call->Finish(&response, &status, &tag);
  void* got = nullptr;
  bool ok = false;
  while (queue.Next(&got, &ok) && got != &tag) {
  }
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok() || slices.empty() || slices[0].size() < 2) return -1;
  return slices[0].begin()[1];
}

// The value of `series` in a Prometheus text exposition, -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

core::JobSpec LongLassoJob(const std::string& dir, int workers) {
  lasso::LassoProblemOptions problem;
  problem.samples = 2000;
  problem.features = 500;
  problem.density = 0.1;
  problem.seed = 9;
  EXPECT_TRUE(WriteLassoProblem(problem, dir + "/train.libsvm").ok());
  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = dir + "/train.libsvm";
  spec.workers = workers;
  spec.max_rounds = 100000000;
  spec.tolerance = 1e-300;  // runs until the test stops it
  return spec;
}

// Workers of a test, each on a thread of its own.
class Workers {
 public:
  Workers(const std::string& address, int count, const proto::ConnectionOptions& connection = {}) {
    for (int i = 0; i < count; ++i) {
      worker::WorkerOptions options;
      options.scheduler_address = address;
      options.name = absl::StrCat("ops-", i);
      options.reconnect = false;
      options.threads = 1;
      options.connection = connection;
      runtimes_.push_back(std::make_unique<worker::WorkerRuntime>(options));
    }
    for (auto& runtime : runtimes_) {
      threads_.emplace_back([r = runtime.get()] { r->Run().IgnoreError(); });
    }
  }
  ~Workers() {
    for (auto& runtime : runtimes_) runtime->Stop();
    for (std::thread& thread : threads_) thread.join();
  }
  worker::WorkerRuntime& at(int i) { return *runtimes_[i]; }

 private:
  std::vector<std::unique_ptr<worker::WorkerRuntime>> runtimes_;
  std::vector<std::thread> threads_;
};

bool WaitFor(const std::function<bool()>& condition, double seconds = 20) {
  const absl::Time deadline = absl::Now() + absl::Seconds(seconds);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

TEST(OpsHttp, ReadinessTurnsNotServingOnDrainBeforeTheCheckpointAndMetricsMove) {
  const std::string dir = MakeTempDir("ops_drain");
  absl::Notification checkpoint_reached, checkpoint_may_go;
  scheduler::SchedulerMetrics metrics("test");
  scheduler::SchedulerServerOptions options;
  options.jobs.data_dir = dir + "/data";
  options.jobs.checkpoint_interval = absl::Hours(1);  // only the shutdown's checkpoint
  options.jobs.before_checkpoint = [&](bool interrupted) {
    if (!interrupted) return;
    checkpoint_reached.Notify();
    checkpoint_may_go.WaitForNotification();
  };
  options.observer = &metrics;
  scheduler::SchedulerServer server(options);
  ASSERT_TRUE(server.Start().ok());
  scheduler::SchedulerHttpServer http(&server, &metrics, {});
  ASSERT_TRUE(http.Start().ok());
  httplib::Client web("127.0.0.1", http.port());
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());

  Workers workers(server.address(), 2);
  client::JobClient client(server.address());
  absl::StatusOr<std::string> job_id = client.Submit(LongLassoJob(dir, 2));
  ASSERT_TRUE(job_id.ok()) << job_id.status();
  ASSERT_TRUE(WaitFor([&] {
    absl::StatusOr<v1::JobStatus> job = client.Get(*job_id);
    return job.ok() && job->state() == v1::JOB_STATE_RUNNING && job->round() > 0;
  }));

  EXPECT_EQ(GrpcHealth(channel), 1);
  EXPECT_EQ(web.Get("/readyz")->status, 200);
  // Counters move while the job runs.
  auto rounds = [&] {
    auto response = web.Get("/metrics");
    return response ? Sample(response->body, "strads_rounds_total{app=\"lasso\"}") : -1.0;
  };
  const double first = rounds();
  ASSERT_GT(first, 0);
  EXPECT_TRUE(WaitFor([&] { return rounds() > first; }));
  auto scrape = web.Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(Sample(scrape->body, "strads_jobs{app=\"lasso\",state=\"running\"}"), 1);
  EXPECT_EQ(Sample(scrape->body, "strads_workers_connected"), 2);
  EXPECT_GT(Sample(scrape->body, "strads_shard_bytes_sent_total"), 0);
  EXPECT_GT(Sample(scrape->body, "strads_updates_total{app=\"lasso\"}"), 0);

  // SIGTERM's path: the drain starts, and the scheduler is held at the job's checkpoint.
  std::thread stopper([&] { server.Shutdown(); });
  ASSERT_TRUE(checkpoint_reached.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_EQ(GrpcHealth(channel), 2);  // NOT_SERVING before the checkpoint is written
  auto ready = web.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_THAT(ready->body, HasSubstr("draining"));
  EXPECT_EQ(web.Get("/healthz")->status, 200);  // alive all the same
  checkpoint_may_go.Notify();
  stopper.join();
  http.Stop();
}

TEST(OpsHttp, TheApiAndPageNeedTheClientTokenAndMetricsTheirOwn) {
  const std::string dir = MakeTempDir("ops_tokens");
  scheduler::SchedulerMetrics metrics("test");
  scheduler::SchedulerServerOptions options;
  options.jobs.data_dir = dir + "/data";
  options.client_token = "client-secret";
  options.worker_token = "worker-secret";
  scheduler::SchedulerServer server(options);
  ASSERT_TRUE(server.Start().ok());
  scheduler::SchedulerHttpServer http(&server, &metrics,
                                      {.listen_address = "127.0.0.1:0",
                                       .client_token = "client-secret",
                                       .metrics_token = "metrics-secret"});
  ASSERT_TRUE(http.Start().ok());
  httplib::Client web("127.0.0.1", http.port());

  EXPECT_EQ(web.Get("/api/v1/jobs")->status, 401);
  EXPECT_EQ(web.Get("/api/v1/workers")->status, 401);
  EXPECT_EQ(web.Get("/api/v1/jobs", {{"Authorization", "Bearer worker-secret"}})->status, 403);
  auto allowed = web.Get("/api/v1/jobs", {{"Authorization", "Bearer client-secret"}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(nlohmann::json::parse(allowed->body), nlohmann::json::array());
  // A browser without the cookie is sent to the login form.
  auto page = web.Get("/");
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(page->get_header_value("Location"), "/login");
  // The form refuses a wrong token and sets the cookie for the right one.
  EXPECT_THAT(web.Post("/login", "token=nope", "application/x-www-form-urlencoded")
                  ->get_header_value("Location"),
              HasSubstr("failed"));
  auto login = web.Post("/login", "token=client-secret", "application/x-www-form-urlencoded");
  ASSERT_TRUE(login);
  const std::string cookie = login->get_header_value("Set-Cookie");
  ASSERT_THAT(cookie, HasSubstr("strads_token="));
  const httplib::Headers with_cookie = {{"Cookie", cookie.substr(0, cookie.find(';'))}};
  auto page_with_cookie = web.Get("/", with_cookie);
  EXPECT_EQ(page_with_cookie->status, 200);
  EXPECT_THAT(page_with_cookie->body, HasSubstr("<svg"));
  EXPECT_EQ(web.Get("/api/v1/jobs", with_cookie)->status, 200);
  // /metrics takes its own token, not the client's; probes take none.
  EXPECT_EQ(web.Get("/metrics")->status, 401);
  EXPECT_EQ(web.Get("/metrics", {{"Authorization", "Bearer client-secret"}})->status, 403);
  EXPECT_EQ(web.Get("/metrics", {{"Authorization", "Bearer metrics-secret"}})->status, 200);
  EXPECT_EQ(web.Get("/healthz")->status, 200);
  EXPECT_EQ(web.Get("/readyz")->status, 200);
  http.Stop();
  server.Shutdown();
}

TEST(OpsHttp, ProbesAnswerInPlaintextWhileGrpcServesTls) {
  const std::string dir = MakeTempDir("ops_tls");
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
  scheduler::SchedulerMetrics metrics("test");
  scheduler::SchedulerServerOptions options;
  options.jobs.data_dir = dir + "/data";
  options.tls_cert_pem = ReadFile(dir + "/server.pem");
  options.tls_key_pem = ReadFile(dir + "/server.key");
  scheduler::SchedulerServer server(options);
  ASSERT_TRUE(server.Start().ok());
  scheduler::SchedulerHttpServer http(&server, &metrics, {});
  ASSERT_TRUE(http.Start().ok());
  httplib::Client web("127.0.0.1", http.port());
  // A plaintext gRPC probe cannot reach the TLS port (what kubelet's gRPC probe would do) ...
  EXPECT_EQ(GrpcHealth(grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials())),
            -1);
  // ... the HTTP probes can.
  EXPECT_EQ(web.Get("/healthz")->status, 200);
  EXPECT_EQ(web.Get("/readyz")->status, 200);

  // The worker's readiness: registered with the (TLS) scheduler.
  worker::WorkerOptions worker_options;
  worker_options.scheduler_address = server.address();
  worker_options.connection.tls_ca_pem = ReadFile(dir + "/ca.pem");
  worker_options.reconnect = false;
  worker::WorkerRuntime runtime(worker_options);
  worker::WorkerHttpServer worker_http(&runtime, "127.0.0.1:0");
  ASSERT_TRUE(worker_http.Start().ok());
  httplib::Client worker_web("127.0.0.1", worker_http.port());
  EXPECT_EQ(worker_web.Get("/readyz")->status, 503);  // not connected yet
  std::thread thread([&] { runtime.Run().IgnoreError(); });
  EXPECT_TRUE(WaitFor([&] { return worker_web.Get("/readyz")->status == 200; }));
  auto worker_metrics = worker_web.Get("/metrics");
  ASSERT_TRUE(worker_metrics);
  EXPECT_EQ(Sample(worker_metrics->body, "strads_worker_ready"), 1);
  EXPECT_EQ(Sample(worker_metrics->body, "strads_worker_pushes_total"), 0);
  runtime.Stop();
  thread.join();
  EXPECT_EQ(worker_web.Get("/readyz")->status, 503);  // its session is gone
  worker_http.Stop();
  http.Stop();
  server.Shutdown();
}

}  // namespace
}  // namespace strads
