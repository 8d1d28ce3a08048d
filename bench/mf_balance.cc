// bench/mf_balance: time for matrix factorization to reach a target test RMSE with dynamic vs
// static load balancing, on a real local cluster (scheduler + workers over loopback gRPC), with 2
// and 4 workers, with no slow worker, with one slow per rating (it sleeps extra per rating: the
// issue's test knob) and with one uniformly slower machine (it takes --slowdown times as long).
//
// The row updates are exact least-squares solves, identical whatever worker computes them, so
// every configuration follows the same RMSE trajectory round by round (checked: the final test
// RMSE of every run must equal the calibration run's). The target is the test RMSE a calibration
// run reaches after --rounds rounds; time to it is the time of those rounds, and the ratio
// static / dynamic is what balancing buys.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/mf/mf_generator.h"
#include "client/job_client.h"
#include "client/local_cluster.h"
#include "spdlog/spdlog.h"

namespace {

struct Run {
  std::string balance;
  int workers = 0;
  std::string slow;  // "no", "nnz" (per rating), "xF" (uniform)
  double seconds = 0;
  double test_rmse = 0;
  double busy_spread_avg = 0;
  double factor_share = 0;   // factor rows sent / a broadcast to every worker
  double ratings_moved = 0;  // ratings sent with rows moved between workers
  std::string state;
};

double Metric(const strads::v1::JobStatus& status, const std::string& name) {
  auto it = status.metrics().find(name);
  return it == status.metrics().end() ? std::nan("") : it->second;
}

Run RunOne(const std::string& train, const std::string& test, const std::string& balance,
           int workers, const std::string& slow, double slow_delay_ns, double slowdown, int rounds,
           int rank) {
  Run run{balance, workers, slow};
  strads::client::LocalClusterOptions options;
  options.workers = workers;
  // Worker 0 is the slow one: the first claimed, so under static it gets the popular rows.
  if (slow == "nnz") options.test_delay_ns_per_unit = {slow_delay_ns};
  if (slow[0] == 'x') options.test_slowdown = {slowdown};
  strads::client::LocalCluster cluster(options);
  if (!cluster.Start().ok()) {
    run.state = "cluster failed";
    return run;
  }
  strads::client::JobClient client(cluster.address());
  strads::core::JobSpec spec;
  spec.app = "mf";
  spec.data_path = train;
  spec.test_path = test;
  spec.workers = workers;
  spec.max_rounds = rounds;
  spec.tolerance = 1e-15;  // every run does exactly `rounds` rounds
  spec.params = {{"rank", absl::StrCat(rank)}, {"lambda", "1"}, {"balance", balance}};
  absl::StatusOr<std::string> id = client.Submit(spec);
  if (!id.ok()) {
    run.state = std::string(id.status().message());
    return run;
  }
  absl::StatusOr<strads::v1::JobStatus> status =
      client.Watch(*id, 500, [](const strads::v1::JobStatus&) {});
  cluster.Stop();
  if (!status.ok()) {
    run.state = std::string(status.status().message());
    return run;
  }
  run.state = strads::client::StateName(status->state());
  run.seconds = status->seconds();
  run.test_rmse = Metric(*status, "test_rmse");
  run.busy_spread_avg = Metric(*status, "busy_spread_avg");
  run.factor_share = Metric(*status, "factor_rows_sent_share");
  run.ratings_moved = Metric(*status, "ratings_sent_total");
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"MF: dynamic vs static load balancing, time to a target test RMSE"};
  strads::mf::MfProblemOptions problem;
  problem.users = 200000;
  problem.items = 50000;
  problem.ratings = 2000000;
  problem.rank = 10;
  problem.power_law = 1.0;
  problem.test_fraction = 0.02;
  int rank = 10;
  int rounds = 20;
  double slow_delay_ns = 100;
  double slowdown = 4;
  std::vector<int> worker_counts = {2, 4};
  cli.add_option("--users", problem.users)->capture_default_str();
  cli.add_option("--items", problem.items)->capture_default_str();
  cli.add_option("--ratings", problem.ratings)->capture_default_str();
  cli.add_option("--power-law", problem.power_law)->capture_default_str();
  cli.add_option("--rank", rank)->capture_default_str();
  cli.add_option("--rounds", rounds, "rounds to the target (half-sweeps)")->capture_default_str();
  cli.add_option("--slow-delay-ns", slow_delay_ns, "extra ns per rating on the slow worker")
      ->capture_default_str();
  cli.add_option("--slowdown", slowdown, "how many times slower the uniformly slow worker is")
      ->capture_default_str();
  cli.add_option("--workers", worker_counts, "worker counts to run")->capture_default_str();
  // The embedded cluster's per-job log lines would bury the table.
  spdlog::set_level(spdlog::level::warn);
  CLI11_PARSE(cli, argc, argv);

  absl::StatusOr<strads::mf::MfProblem> generated = strads::mf::GenerateMfProblem(problem);
  if (!generated.ok()) {
    std::fprintf(stderr, "%s\n", std::string(generated.status().message()).c_str());
    return 1;
  }
  const std::string dir = (std::filesystem::temp_directory_path() / "strads-bench").string();
  std::filesystem::create_directories(dir);
  const std::string train = dir + "/mf_train.txt";
  const std::string test = dir + "/mf_test.txt";
  if (!strads::mf::WriteRatingsText(train, generated->train).ok() ||
      !strads::mf::WriteRatingsText(test, generated->test).ok()) {
    return 1;
  }
  std::printf(
      "problem: %lld users, %lld items, %zu train / %zu test ratings, power law %.2f, "
      "rank %d, %d rounds, slow worker: nnz = +%.0f ns per rating, x%.0f = %.0f times slower\n",
      static_cast<long long>(problem.users), static_cast<long long>(problem.items),
      generated->train.size(), generated->test.size(), problem.power_law, rank, rounds,
      slow_delay_ns, slowdown, slowdown);

  const Run calibration = RunOne(train, test, "dynamic", 2, "no", 0, 1, rounds, rank);
  std::printf("target test RMSE (after %d rounds): %.6f\n\n", rounds, calibration.test_rmse);
  std::printf("%-8s %7s %-5s %-10s %9s %10s %12s %13s %13s %16s\n", "balance", "workers", "slow",
              "outcome", "seconds", "test_rmse", "busy_spread", "factor_share", "ratings_moved",
              "static/dynamic");
  for (int workers : worker_counts) {
    for (const std::string& slow :
         {std::string("no"), std::string("nnz"), absl::StrFormat("x%.0f", slowdown)}) {
      const Run dynamic =
          RunOne(train, test, "dynamic", workers, slow, slow_delay_ns, slowdown, rounds, rank);
      const Run fixed =
          RunOne(train, test, "static", workers, slow, slow_delay_ns, slowdown, rounds, rank);
      for (const Run* run : {&dynamic, &fixed}) {
        const bool reached = std::abs(run->test_rmse - calibration.test_rmse) <= 1e-9;
        std::printf("%-8s %7d %-5s %-10s %9.2f %10.6f %12.3f %13.3f %13.0f %16s\n",
                    run->balance.c_str(), run->workers, run->slow.c_str(),
                    reached ? "reached" : run->state.c_str(), run->seconds, run->test_rmse,
                    run->busy_spread_avg, run->factor_share, run->ratings_moved,
                    run == &fixed ? absl::StrFormat("%.2f", fixed.seconds / dynamic.seconds).c_str()
                                  : "1.00");
      }
      std::fflush(stdout);
    }
  }
  return 0;
}
