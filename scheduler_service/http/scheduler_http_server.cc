#include "scheduler_service/http/scheduler_http_server.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "scheduler_service/http/http_access.h"
#include "scheduler_service/http/jobs_api.h"
#include "scheduler_service/http/status_page.h"

namespace strads::scheduler {
namespace {

constexpr char kJson[] = "application/json";

// The HTTP status of a refused or failed request, from its absl code.
int HttpStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void SendError(httplib::Response& response, const absl::Status& status) {
  response.status = HttpStatus(status);
  response.set_content(ops::ErrorJson(std::string(status.message())), kJson);
}

absl::Status CheckRequest(const AccessPolicy& policy, const httplib::Request& request) {
  return policy.Check(Role::kClient, HttpAuthorization(request.get_header_value("Authorization"),
                                                       request.get_header_value("Cookie")));
}

}  // namespace

SchedulerHttpServer::SchedulerHttpServer(SchedulerServer* scheduler, SchedulerMetrics* metrics,
                                         SchedulerHttpOptions options)
    : scheduler_(scheduler),
      metrics_(metrics),
      options_(std::move(options)),
      page_access_(options_.client_token, ""),
      metrics_access_(options_.metrics_token, "") {}

SchedulerHttpServer::~SchedulerHttpServer() { Stop(); }

absl::Status SchedulerHttpServer::Start() {
  Route();
  return listener_.Listen("--http-listen", options_.listen_address);
}

void SchedulerHttpServer::Stop() { listener_.Stop(); }

void SchedulerHttpServer::Route() {
  httplib::Server& server = listener_.server();
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server.Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    absl::Status ready = scheduler_->Ready();
    response.status = ready.ok() ? 200 : 503;
    response.set_content(ready.ok() ? "ready\n" : absl::StrCat(ready.message(), "\n"),
                         "text/plain");
  });
  server.Get("/metrics", [this](const httplib::Request& request, httplib::Response& response) {
    if (absl::Status allowed = CheckRequest(metrics_access_, request); !allowed.ok()) {
      return SendError(response, allowed);
    }
    response.set_content(
        metrics_->Scrape(scheduler_->jobs().List(), scheduler_->pool().ConnectedCount()),
        "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/", [this](const httplib::Request& request, httplib::Response& response) {
    if (!CheckRequest(page_access_, request).ok()) return response.set_redirect("/login", 303);
    response.set_header("Cache-Control", "no-store");
    response.set_content(kStatusPageHtml, "text/html; charset=utf-8");
  });
  server.Get("/login", [](const httplib::Request& request, httplib::Response& response) {
    response.set_content(LoginPageHtml(request.has_param("failed")), "text/html; charset=utf-8");
  });
  server.Post("/login", [this](const httplib::Request& request, httplib::Response& response) {
    const std::string token = request.get_param_value("token");
    if (token.empty() || !page_access_.Check(Role::kClient, absl::StrCat("Bearer ", token)).ok()) {
      return response.set_redirect("/login?failed=1", 303);
    }
    response.set_header("Set-Cookie", TokenCookie(token));
    response.set_redirect("/", 303);
  });
  server.Get("/api/v1/jobs", [this](const httplib::Request& request, httplib::Response& response) {
    if (absl::Status allowed = CheckRequest(page_access_, request); !allowed.ok()) {
      return SendError(response, allowed);
    }
    nlohmann::json list = nlohmann::json::array();
    for (const JobSnapshot& job : scheduler_->jobs().List()) list.push_back(JobJson(job));
    response.set_content(list.dump(), kJson);
  });
  server.Get(R"(/api/v1/jobs/([A-Za-z0-9_.-]+))",
             [this](const httplib::Request& request, httplib::Response& response) {
               if (absl::Status allowed = CheckRequest(page_access_, request); !allowed.ok()) {
                 return SendError(response, allowed);
               }
               const std::string job_id = request.matches[1];
               absl::StatusOr<JobSnapshot> job = scheduler_->jobs().Get(job_id);
               if (!job.ok()) return SendError(response, job.status());
               nlohmann::json json = JobJson(*job);
               json["curve"] = CurveJson(job->history.Points());
               response.set_content(json.dump(), kJson);
             });
  server.Get("/api/v1/workers",
             [this](const httplib::Request& request, httplib::Response& response) {
               if (absl::Status allowed = CheckRequest(page_access_, request); !allowed.ok()) {
                 return SendError(response, allowed);
               }
               response.set_content(WorkersJson(scheduler_->pool().Connected()).dump(), kJson);
             });
  server.set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (response.body.empty()) {
      response.set_content(ops::ErrorJson(absl::StrCat("HTTP ", response.status)), kJson);
    }
  });
}

}  // namespace strads::scheduler
