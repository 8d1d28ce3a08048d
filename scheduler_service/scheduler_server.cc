#include "scheduler_service/scheduler_server.h"

#include "absl/strings/str_cat.h"
#include "core/limits.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {

SchedulerServer::SchedulerServer(SchedulerServerOptions options)
    : options_(std::move(options)),
      jobs_(&pool_, &catalogue_, options_.jobs),
      uploads_(options_.jobs.data_dir, options_.max_upload_bytes),
      access_(options_.client_token, options_.worker_token),
      job_service_(&jobs_, &pool_, &uploads_, &access_),
      worker_service_(&pool_, &catalogue_, &access_) {}

SchedulerServer::~SchedulerServer() { Shutdown(); }

absl::Status SchedulerServer::Start() {
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
  builder.RegisterService(&worker_service_);
  builder.SetMaxReceiveMessageSize(core::kMaxMessageBytes);
  builder.SetMaxSendMessageSize(core::kMaxMessageBytes);
  // Keepalive pings notice a worker whose machine vanished without closing its connection.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    jobs_.Stop();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen_address,
                     " (address in use, or not an address of this machine?)"));
  }
  std::string host = options_.listen_address.substr(0, options_.listen_address.rfind(':'));
  if (host.empty() || host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  address_ = absl::StrCat(host, ":", port_);
  spdlog::info("event=scheduler_listening address={} data_dir={} tls={} auth={}", address_,
               options_.jobs.data_dir, options_.tls_cert_pem.empty() ? "off" : "on",
               access_.open() ? "open" : "tokens");
  return absl::OkStatus();
}

void SchedulerServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

void SchedulerServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  jobs_.Stop();
  pool_.DisconnectAll();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
  }
}

}  // namespace strads::scheduler
