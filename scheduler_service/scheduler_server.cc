#include "scheduler_service/scheduler_server.h"

#include <atomic>
#include <cerrno>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/host_port.h"
#include "core/limits.h"
#include "grpc/support/log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {
namespace {

// gRPC says why it could not listen only in its log, as a nested error tree printed before our
// own message. While a server is built, gRPC's log lines are held here instead, so that a failure
// can be told in one line naming the OS reason; otherwise they are passed on unchanged.
struct HeldLogLine {
  const char* file;
  int line;
  gpr_log_severity severity;
  std::string message;
};

absl::Mutex held_log_mu(absl::kConstInit);
std::vector<HeldLogLine>* held_log ABSL_GUARDED_BY(held_log_mu) = nullptr;

void HoldLogLine(gpr_log_func_args* args) {
  {
    absl::MutexLock lock(&held_log_mu);
    if (held_log != nullptr) {
      held_log->push_back({args->file, args->line, args->severity, args->message});
      return;
    }
  }
  // A line that raced with the end of the hold: gRPC's own log function is back by now.
  gpr_log_message(args->file, args->line, args->severity, args->message);
}

// Runs `build` with gRPC's log held back and returns the lines it logged (other threads' lines
// of that moment too). One build at a time, so the lines are that build's.
std::vector<HeldLogLine> WithGrpcLogHeld(const std::function<void()>& build) {
  static absl::Mutex build_mu(absl::kConstInit);
  absl::MutexLock build_lock(&build_mu);
  std::vector<HeldLogLine> lines;
  {
    absl::MutexLock lock(&held_log_mu);
    held_log = &lines;
  }
  gpr_set_log_function(HoldLogLine);
  build();
  gpr_set_log_function(nullptr);  // gRPC's default log function
  absl::MutexLock lock(&held_log_mu);
  held_log = nullptr;
  return lines;
}

void PassOn(const std::vector<HeldLogLine>& lines) {
  for (const HeldLogLine& line : lines) {
    gpr_log_message(line.file, line.line, line.severity, line.message.c_str());
  }
}

// Why gRPC could not listen, in one line: the OS reason from its log (os_error:"..."), with a
// hint for the common reasons. Lines it cannot explain are passed on.
absl::Status ListenError(const std::string& address, const std::vector<HeldLogLine>& lines) {
  constexpr std::string_view kReason = "os_error:\"";
  for (const HeldLogLine& line : lines) {
    const size_t start = line.message.find(kReason);
    if (start == std::string::npos) continue;
    const size_t begin = start + kReason.size();
    std::string reason = line.message.substr(begin, line.message.find('"', begin) - begin);
    absl::AsciiStrToLower(&reason);
    std::string hint;
    if (line.message.find(absl::StrCat("errno:", EADDRINUSE)) != std::string::npos) {
      hint = " (another process, perhaps another strads-scheduler, listens there)";
    } else if (line.message.find(absl::StrCat("errno:", EADDRNOTAVAIL)) != std::string::npos) {
      hint = " (not an address of this machine)";
    }
    spdlog::debug("event=listen_failed address={} grpc_error={}", address, line.message);
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", reason, hint));
  }
  PassOn(lines);
  return absl::UnavailableError(absl::StrCat(
      "cannot listen on ", address, " (address in use, or not an address of this machine?)"));
}

}  // namespace

namespace {
JobManagerOptions WithObserver(JobManagerOptions jobs, SchedulerObserver* observer) {
  if (observer != nullptr) jobs.engine.observer = observer;
  return jobs;
}
}  // namespace

SchedulerServer::SchedulerServer(SchedulerServerOptions options)
    : options_(std::move(options)),
      jobs_(&pool_, &catalogue_, WithObserver(options_.jobs, options_.observer)),
      uploads_(options_.jobs.data_dir, options_.max_upload_bytes),
      access_(options_.client_token, options_.worker_token),
      job_service_(&jobs_, &pool_, &uploads_, &access_),
      worker_service_(&pool_, &catalogue_, &access_, options_.observer),
      readiness_(options_.jobs.data_dir) {}

SchedulerServer::~SchedulerServer() { Shutdown(); }

absl::Status SchedulerServer::Start() {
  if (absl::Status status = core::CheckHostPort("listen address", options_.listen_address, 0);
      !status.ok()) {
    return status;
  }
  if (absl::Status status = jobs_.Start(); !status.ok()) return status;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options_.tls_cert_pem.empty()) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({options_.tls_key_pem, options_.tls_cert_pem});
    credentials = grpc::SslServerCredentials(ssl);
  }
  builder.AddListeningPort(options_.listen_address, credentials, &port_);
  builder.RegisterService(&job_service_);
  worker_service_.AddTo(builder);
  builder.SetMaxReceiveMessageSize(core::kMaxMessageBytes);
  builder.SetMaxSendMessageSize(core::kMaxMessageBytes);
  // Keepalive pings notice a worker whose machine vanished without closing its connection.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  // gRPC sets SO_REUSEPORT by default, with which a second scheduler on the same port would
  // start without complaint and take part of the connections.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  std::vector<HeldLogLine> log = WithGrpcLogHeld([&] { server_ = builder.BuildAndStart(); });
  if (server_ == nullptr || port_ == 0) {
    jobs_.Stop();
    jobs_.ReleaseDataDir();
    return ListenError(options_.listen_address, log);
  }
  PassOn(log);
  worker_service_.Start();
  std::string host = options_.listen_address.substr(0, options_.listen_address.rfind(':'));
  if (host.empty() || host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  address_ = absl::StrCat(host, ":", port_);
  PublishReadiness();
  health_thread_ = std::thread([this] { FollowReadiness(); });
  spdlog::info("event=scheduler_listening address={} data_dir={} tls={} auth={}", address_,
               options_.jobs.data_dir, options_.tls_cert_pem.empty() ? "off" : "on",
               access_.open() ? "open" : "tokens");
  return absl::OkStatus();
}

void SchedulerServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

void SchedulerServer::PublishReadiness() {
  absl::Status ready = readiness_.Check();
  server_->GetHealthCheckService()->SetServingStatus(ready.ok());
  if (last_serving_.exchange(ready.ok() ? 1 : 0) != (ready.ok() ? 1 : 0)) {
    spdlog::info("event=readiness serving={} why=\"{}\"", ready.ok(), std::string(ready.message()));
  }
}

void SchedulerServer::FollowReadiness() {
  absl::MutexLock lock(&health_mu_);
  while (!health_mu_.AwaitWithTimeout(absl::Condition(&health_stop_), absl::Seconds(1))) {
    health_mu_.Unlock();
    PublishReadiness();
    health_mu_.Lock();
  }
}

void SchedulerServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  readiness_.BeginDrain();
  if (server_ != nullptr) PublishReadiness();  // before the jobs' checkpoints, which take time
  if (health_thread_.joinable()) {
    {
      absl::MutexLock lock(&health_mu_);
      health_stop_ = true;
    }
    health_thread_.join();
  }
  jobs_.Stop();
  pool_.DisconnectAll();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
    worker_service_.Stop();
  }
  jobs_.ReleaseDataDir();  // RPCs (a cancel, an upload) may write there until Wait returns
}

}  // namespace strads::scheduler
