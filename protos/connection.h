// How a client or a worker reaches a scheduler: plaintext or TLS (verifying the scheduler with a
// CA certificate), with or without a bearer token. Shared by the CLI and the worker.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/channel_arguments.h"

namespace strads::proto {

struct ConnectionOptions {
  std::string token;       // sent as "authorization: Bearer <token>"; empty = none
  std::string tls_ca_pem;  // CA that signed the scheduler's certificate; empty = plaintext
};

// Reads the token file and the CA file (either path may be empty).
absl::StatusOr<ConnectionOptions> LoadConnectionOptions(const std::string& token_file,
                                                        const std::string& tls_ca_file);

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const ConnectionOptions& options,
                                           const grpc::ChannelArguments& args);

// Adds the token, if any, to one call.
void Authorize(grpc::ClientContext* context, const ConnectionOptions& options);

}  // namespace strads::proto
