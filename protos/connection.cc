#include "protos/connection.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace strads::proto {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " '", path, "'"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<ConnectionOptions> LoadConnectionOptions(const std::string& token_file,
                                                        const std::string& tls_ca_file) {
  ConnectionOptions options;
  if (!token_file.empty()) {
    absl::StatusOr<std::string> text = ReadFile(token_file, "token file");
    if (!text.ok()) return text.status();
    std::string first_line = text->substr(0, text->find('\n'));
    options.token = std::string(absl::StripAsciiWhitespace(first_line));
    if (options.token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("token file '", token_file, "' is empty"));
    }
  }
  if (!tls_ca_file.empty()) {
    absl::StatusOr<std::string> pem = ReadFile(tls_ca_file, "CA certificate");
    if (!pem.ok()) return pem.status();
    options.tls_ca_pem = *std::move(pem);
  }
  return options;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const ConnectionOptions& options,
                                           const grpc::ChannelArguments& args) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls_ca_pem.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_ca_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateCustomChannel(address, credentials, args);
}

void Authorize(grpc::ClientContext* context, const ConnectionOptions& options) {
  if (!options.token.empty()) context->AddMetadata("authorization", "Bearer " + options.token);
}

}  // namespace strads::proto
