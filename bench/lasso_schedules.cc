// bench/lasso_schedules: rounds, updates and seconds for each Lasso schedule to reach relative
// suboptimality 1e-4 on a generated correlated sparse problem, on a real local cluster (scheduler
// and workers over loopback gRPC), with ratios to the dynamic (STRADS) schedule at the same batch
// size. The optimum F* comes from the single-process reference solver run to a tight duality gap.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "apps/lasso/generator.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/reference_solver.h"
#include "client/job_client.h"
#include "client/local_cluster.h"
#include "core/labeled_data.h"
#include "spdlog/spdlog.h"

namespace {

using strads::v1::JobStatus;

struct Outcome {
  std::string scheduler;
  int64_t batch = 0;
  std::string state;  // reached | diverged | not reached
  int64_t rounds = 0;
  double updates = 0;
  double seconds = 0;
  double suboptimality = 0;
};

double Metric(const JobStatus& status, const std::string& name) {
  auto it = status.metrics().find(name);
  return it == status.metrics().end() ? 0.0 : it->second;
}

Outcome RunOne(strads::client::JobClient& client, const std::string& data_path,
               const std::string& scheduler, int64_t batch, int workers, double lambda,
               double optimum, double target, double max_seconds, int pipeline = 0) {
  strads::core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = data_path;
  spec.workers = workers;
  spec.max_seconds = max_seconds;
  spec.max_rounds = int64_t{1} << 40;  // the time limit ends runs that do not get there
  spec.tolerance = 1e-12;              // the target objective, not the gap, ends these runs
  spec.pipeline = pipeline;            // 0: the app's default for the schedule
  spec.params = {{"lambda", absl::StrFormat("%.17g", lambda)},
                 {"scheduler", scheduler},
                 {"batch", absl::StrCat(batch)},
                 {"target_objective", absl::StrFormat("%.17g", target)}};
  Outcome outcome{scheduler, batch};
  absl::StatusOr<std::string> id = client.Submit(spec);
  if (!id.ok()) {
    outcome.state = std::string(id.status().message());
    return outcome;
  }
  absl::StatusOr<JobStatus> status = client.Watch(*id, 500, [](const JobStatus&) {});
  if (!status.ok()) {
    outcome.state = std::string(status.status().message());
    return outcome;
  }
  outcome.rounds = status->round();
  outcome.seconds = status->seconds();
  outcome.updates = Metric(*status, "updates");
  const double objective = Metric(*status, "objective");
  outcome.suboptimality = (objective - optimum) / optimum;
  if (status->state() == strads::v1::JOB_STATE_FAILED) {
    outcome.state = status->message().find("diverged") != std::string::npos ? "diverged" : "failed";
  } else {
    outcome.state = objective <= target ? "reached" : "not reached";
  }
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Lasso schedules to relative suboptimality 1e-4, with ratios to dynamic"};
  strads::lasso::LassoProblemOptions problem_options;
  problem_options.samples = 10000;
  problem_options.features = 20000;
  problem_options.density = 0.002;
  problem_options.correlation = 0.95;
  problem_options.group_size = 20;
  problem_options.seed = 1;
  std::string batches_text = "16,64,256";
  int workers = 2;
  double lambda_ratio = 0.1;
  double suboptimality = 1e-4;
  double max_seconds = 60;
  cli.add_option("--samples", problem_options.samples)->capture_default_str();
  cli.add_option("--features", problem_options.features)->capture_default_str();
  cli.add_option("--density", problem_options.density)->capture_default_str();
  cli.add_option("--correlation", problem_options.correlation)->capture_default_str();
  cli.add_option("--group-size", problem_options.group_size)->capture_default_str();
  cli.add_option("--seed", problem_options.seed)->capture_default_str();
  cli.add_option("--batches", batches_text, "batch sizes U, comma-separated")
      ->capture_default_str();
  cli.add_option("--workers", workers)->capture_default_str();
  cli.add_option("--lambda-ratio", lambda_ratio, "lambda / lambda_max")->capture_default_str();
  cli.add_option("--suboptimality", suboptimality, "relative (F - F*) / F* target")
      ->capture_default_str();
  cli.add_option("--max-seconds", max_seconds, "time limit of each run")->capture_default_str();
  std::string scaling_text;
  cli.add_option("--scaling", scaling_text,
                 "instead: dynamic at the first batch size with each of these worker counts "
                 "(e.g. 1,2,4): round time and time to the target");
  std::string pipelines_text;
  cli.add_option("--pipelines", pipelines_text,
                 "instead: dynamic at the first batch size with each of these pipeline depths "
                 "(e.g. 1,2,4,8): rounds, time per round and time to the target");
  // The embedded cluster's per-job log lines would bury the table.
  spdlog::set_level(spdlog::level::warn);
  CLI11_PARSE(cli, argc, argv);

  std::vector<int64_t> batches;
  for (absl::string_view piece : absl::StrSplit(batches_text, ',')) {
    batches.push_back(std::stoll(std::string(piece)));
  }

  absl::StatusOr<strads::lasso::LassoProblem> problem =
      strads::lasso::GenerateLassoProblem(problem_options);
  if (!problem.ok()) {
    std::fprintf(stderr, "%s\n", std::string(problem.status().message()).c_str());
    return 1;
  }
  const std::string dir = (std::filesystem::temp_directory_path() / "strads-bench").string();
  std::filesystem::create_directories(dir);
  const std::string data_path = dir + "/lasso_schedules.libsvm";
  if (!strads::core::WriteLibsvmFile(data_path, problem->data).ok()) return 1;
  const double lambda = lambda_ratio * strads::lasso::LambdaMax(problem->data.x, problem->data.y);

  absl::Time start = absl::Now();
  strads::lasso::ReferenceSolverOptions reference_options;
  reference_options.lambda = lambda;
  reference_options.tolerance = 1e-10;
  absl::StatusOr<strads::lasso::ReferenceSolution> reference =
      strads::lasso::SolveLassoReference(problem->data, reference_options);
  if (!reference.ok() || !reference->converged) {
    std::fprintf(stderr, "the reference solver did not converge\n");
    return 1;
  }
  const double reference_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double optimum = reference->objective;
  const double target = optimum * (1 + suboptimality);
  std::printf(
      "problem: N=%lld M=%lld nnz=%lld correlation=%.2f group=%lld lambda=%.4g "
      "(%.2f lambda_max) workers=%d\n",
      static_cast<long long>(problem->data.x.rows), static_cast<long long>(problem->data.x.cols),
      static_cast<long long>(problem->data.x.nnz()), problem_options.correlation,
      static_cast<long long>(problem_options.group_size), lambda, lambda_ratio, workers);
  std::printf(
      "reference (single-process cyclic CD to gap 1e-10): F*=%.10g nnz=%lld "
      "sweeps=%lld %.2fs\n",
      optimum,
      static_cast<long long>(std::count_if(reference->beta.begin(), reference->beta.end(),
                                           [](double b) { return b != 0; })),
      static_cast<long long>(reference->sweeps), reference_seconds);
  std::printf("target: relative suboptimality %.0e\n\n", suboptimality);

  if (!scaling_text.empty()) {
    std::printf("%-8s %6s %-12s %10s %9s %12s %12s\n", "workers", "batch", "outcome", "rounds",
                "seconds", "ms/round", "seconds/1w");
    double one_worker_seconds = 0;
    for (absl::string_view piece : absl::StrSplit(scaling_text, ',')) {
      const int count = std::stoi(std::string(piece));
      strads::client::LocalCluster cluster({.workers = count});
      if (!cluster.Start().ok()) return 1;
      strads::client::JobClient client(cluster.address());
      const Outcome o = RunOne(client, data_path, "dynamic", batches.front(), count, lambda,
                               optimum, target, max_seconds);
      cluster.Stop();
      if (one_worker_seconds == 0) one_worker_seconds = o.seconds;
      std::printf("%-8d %6lld %-12s %10lld %9.2f %12.3f %12.2f\n", count,
                  static_cast<long long>(o.batch), o.state.c_str(),
                  static_cast<long long>(o.rounds), o.seconds,
                  o.rounds > 0 ? 1000 * o.seconds / static_cast<double>(o.rounds) : 0.0,
                  o.seconds / one_worker_seconds);
      std::fflush(stdout);
    }
    return 0;
  }

  if (!pipelines_text.empty()) {
    strads::client::LocalCluster cluster({.workers = workers});
    if (!cluster.Start().ok()) return 1;
    strads::client::JobClient client(cluster.address());
    std::printf("%-8s %6s %-12s %10s %12s %9s %12s %12s\n", "pipeline", "batch", "outcome",
                "rounds", "updates", "seconds", "us/round", "seconds/d1");
    double depth_one_seconds = 0;
    for (absl::string_view piece : absl::StrSplit(pipelines_text, ',')) {
      const int depth = std::stoi(std::string(piece));
      const Outcome o = RunOne(client, data_path, "dynamic", batches.front(), workers, lambda,
                               optimum, target, max_seconds, depth);
      if (depth_one_seconds == 0) depth_one_seconds = o.seconds;
      std::printf("%-8d %6lld %-12s %10lld %12.0f %9.2f %12.1f %12.2f\n", depth,
                  static_cast<long long>(o.batch), o.state.c_str(),
                  static_cast<long long>(o.rounds), o.updates, o.seconds,
                  o.rounds > 0 ? 1e6 * o.seconds / static_cast<double>(o.rounds) : 0.0,
                  o.seconds / depth_one_seconds);
      std::fflush(stdout);
    }
    cluster.Stop();
    return 0;
  }

  strads::client::LocalClusterOptions cluster_options;
  cluster_options.workers = workers;
  strads::client::LocalCluster cluster(cluster_options);
  if (!cluster.Start().ok()) return 1;
  strads::client::JobClient client(cluster.address());

  std::printf("%-8s %6s %-12s %10s %12s %9s %11s %12s %12s\n", "schedule", "batch", "outcome",
              "rounds", "updates", "seconds", "subopt", "rounds/dyn", "seconds/dyn");
  auto print = [](const Outcome& o, const Outcome* dynamic) {
    std::string rounds_ratio = "-";
    std::string seconds_ratio = "-";
    if (dynamic != nullptr && dynamic->state == "reached" && o.state == "reached") {
      rounds_ratio = absl::StrFormat("%.2f", static_cast<double>(o.rounds) / dynamic->rounds);
      seconds_ratio = absl::StrFormat("%.2f", o.seconds / dynamic->seconds);
    }
    std::printf("%-8s %6lld %-12s %10lld %12.0f %9.2f %11.2e %12s %12s\n", o.scheduler.c_str(),
                static_cast<long long>(o.batch), o.state.c_str(), static_cast<long long>(o.rounds),
                o.updates, o.seconds, o.suboptimality, rounds_ratio.c_str(), seconds_ratio.c_str());
    std::fflush(stdout);
  };
  for (int64_t batch : batches) {
    Outcome dynamic =
        RunOne(client, data_path, "dynamic", batch, workers, lambda, optimum, target, max_seconds);
    print(dynamic, &dynamic);
    for (const char* scheduler : {"random", "static"}) {
      print(RunOne(client, data_path, scheduler, batch, workers, lambda, optimum, target,
                   max_seconds),
            &dynamic);
    }
    if (batch == batches.front()) {
      print(RunOne(client, data_path, "cyclic", 1, workers, lambda, optimum, target, max_seconds),
            &dynamic);
    }
  }
  cluster.Stop();
  return 0;
}
