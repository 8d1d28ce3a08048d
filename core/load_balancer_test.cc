#include "core/load_balancer.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace strads::core {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Row r has about C / (r + 1)^alpha non-zeros (at least 1): low rows are the popular ones, as in
// a rating matrix ordered by popularity, so equal row counts put most of the work on worker 0.
std::vector<int64_t> PowerLawWork(int64_t rows, double alpha, double top, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> work(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const double jitter = 0.8 + 0.4 * static_cast<double>(rng() >> 11) * 0x1.0p-53;
    work[r] = std::max<int64_t>(1, std::llround(jitter * top / std::pow(r + 1.0, alpha)));
  }
  return work;
}

std::vector<double> PredictedTimes(const LoadBalancer& balancer, std::span<const double> speeds) {
  std::vector<double> times;
  for (int w = 0; w < balancer.num_workers(); ++w) times.push_back(balancer.Cost(w) * speeds[w]);
  return times;
}

// What each worker would report after running its range: busy = seconds per unit * work units.
std::vector<WorkerView> MeasureRound(const LoadBalancer& balancer, std::span<const int64_t> work,
                                     std::span<const double> true_speeds) {
  std::vector<WorkerView> views(balancer.num_workers());
  for (int w = 0; w < balancer.num_workers(); ++w) {
    int64_t units = 0;
    for (int64_t r = balancer.boundaries()[w]; r < balancer.boundaries()[w + 1]; ++r) {
      units += work[r];
    }
    views[w].last_work_units = units;
    views[w].last_busy_seconds = true_speeds[w] * static_cast<double>(units);
  }
  return views;
}

void ExpectValidPartition(const LoadBalancer& balancer, int64_t rows) {
  ASSERT_EQ(balancer.boundaries().front(), 0);
  ASSERT_EQ(balancer.boundaries().back(), rows);
  for (int w = 0; w < balancer.num_workers(); ++w) {
    ASSERT_LE(balancer.boundaries()[w], balancer.boundaries()[w + 1]) << "worker " << w;
  }
}

TEST(LoadBalancer, DynamicEqualisesPowerLawCostsWhereStaticDoesNot) {
  for (int workers : {2, 3, 4}) {
    const uint64_t seed = 11 + workers;
    const std::vector<int64_t> work = PowerLawWork(5000, 0.8, 2000, seed);
    const std::vector<double> equal(workers, 1.0);
    LoadBalancer dynamic({.mode = BalanceMode::kDynamic});
    LoadBalancer fixed({.mode = BalanceMode::kStatic});
    dynamic.Reset(work, equal);
    fixed.Reset(work, equal);
    ExpectValidPartition(dynamic, 5000);
    ExpectValidPartition(fixed, 5000);
    const double dynamic_spread = Spread(PredictedTimes(dynamic, equal));
    const double static_spread = Spread(PredictedTimes(fixed, equal));
    EXPECT_LT(dynamic_spread, 0.15) << "workers=" << workers << " seed=" << seed;
    EXPECT_GT(static_spread, 0.15) << "workers=" << workers << " seed=" << seed;
    // Static is equal row counts.
    for (int w = 0; w < workers; ++w) {
      const int64_t count = fixed.boundaries()[w + 1] - fixed.boundaries()[w];
      EXPECT_NEAR(count, 5000.0 / workers, 1.0);
    }
  }
}

TEST(LoadBalancer, StaticNeverMoves) {
  const std::vector<int64_t> work = PowerLawWork(1000, 1.0, 500, 3);
  LoadBalancer fixed({.mode = BalanceMode::kStatic});
  fixed.Reset(work, std::vector<double>{1.0, 1.0});
  const std::vector<int64_t> before(fixed.boundaries().begin(), fixed.boundaries().end());
  EXPECT_EQ(fixed.Rebalance(std::vector<double>{3.0, 1.0}), 0);
  EXPECT_EQ(std::vector<int64_t>(fixed.boundaries().begin(), fixed.boundaries().end()), before);
}

TEST(LoadBalancer, MovesRowsOffASlowWorkerIncrementally) {
  const int64_t rows = 4000;
  const std::vector<int64_t> work = PowerLawWork(rows, 0.7, 1000, 5);
  // Worker 1 is three times slower than the others (seconds per unit of work).
  const std::vector<double> truth = {1e-6, 3e-6, 1e-6};
  LoadBalancerOptions options;
  options.max_move_fraction = 0.1;
  LoadBalancer balancer(options);
  WorkerSpeeds speeds;
  speeds.Reset(3);
  balancer.Reset(work, speeds.seconds_per_unit());  // by cost only: speeds are unknown
  const double initial_slow_cost = balancer.Cost(1);
  const double initial_spread = Spread(PredictedTimes(balancer, truth));
  ASSERT_GT(initial_spread, 0.5);

  const int64_t max_moved = static_cast<int64_t>(options.max_move_fraction * rows) + 2;
  int rounds_that_moved = 0;
  for (int round = 0; round < 12; ++round) {
    speeds.Observe(MeasureRound(balancer, work, truth));
    const double slow_cost_before = balancer.Cost(1);
    const int64_t moved = balancer.Rebalance(speeds.seconds_per_unit());
    ExpectValidPartition(balancer, rows);
    EXPECT_LE(moved, max_moved) << "round " << round;  // never a rebuild
    EXPECT_LE(balancer.Cost(1), slow_cost_before + 1e-9) << "round " << round;
    if (moved > 0) ++rounds_that_moved;
    if (round == 0) {
      EXPECT_GT(moved, 0);
      EXPECT_LT(balancer.Cost(1), initial_slow_cost);
      // Half way (damped), so not yet balanced after one step.
      EXPECT_GT(Spread(PredictedTimes(balancer, truth)), 0.1);
    }
  }
  EXPECT_GE(rounds_that_moved, 2);  // it took several incremental steps
  EXPECT_LT(Spread(PredictedTimes(balancer, truth)), 0.15);
  // The slow worker ends up with about a third of a fast worker's cost.
  EXPECT_NEAR(balancer.Cost(1) / balancer.Cost(0), 1.0 / 3, 0.08);
}

TEST(LoadBalancer, SettledSplitStopsMoving) {
  const std::vector<int64_t> work = PowerLawWork(2000, 0.5, 300, 9);
  const std::vector<double> truth = {2e-6, 2e-6};
  LoadBalancer balancer;
  WorkerSpeeds speeds;
  balancer.Reset(work, std::vector<double>{1.0, 1.0});
  for (int round = 0; round < 5; ++round) {
    speeds.Observe(MeasureRound(balancer, work, truth));
    EXPECT_EQ(balancer.Rebalance(speeds.seconds_per_unit()), 0) << "round " << round;
  }
}

TEST(LoadBalancer, WorkerThatCannotWorkGetsNoRows) {
  const std::vector<int64_t> work = PowerLawWork(100, 1.0, 50, 2);
  for (BalanceMode mode : {BalanceMode::kStatic, BalanceMode::kDynamic}) {
    LoadBalancer balancer({.mode = mode});
    balancer.Reset(work, std::vector<double>{1.0, kInf, 1.0});
    ExpectValidPartition(balancer, 100);
    EXPECT_EQ(balancer.boundaries()[1], balancer.boundaries()[2]);
    EXPECT_GT(balancer.Cost(0), 0);
    EXPECT_GT(balancer.Cost(2), 0);
  }
}

TEST(LoadBalancer, MoreWorkersThanRows) {
  LoadBalancer balancer;
  const std::vector<int64_t> work = {5, 1};
  balancer.Reset(work, std::vector<double>(4, 1.0));
  ExpectValidPartition(balancer, 2);
  LoadBalancer empty;
  empty.Reset({}, std::vector<double>(3, 1.0));
  ExpectValidPartition(empty, 0);
  EXPECT_EQ(empty.Rebalance(std::vector<double>{1.0, 2.0, 3.0}), 0);
}

TEST(WorkerSpeeds, AveragesMeasurementsAndFillsUnknownWorkers) {
  WorkerSpeeds speeds(0.5);
  std::vector<WorkerView> views(3);
  views[0].last_busy_seconds = 2.0;
  views[0].last_work_units = 1000;
  views[1].last_busy_seconds = 4.0;
  views[1].last_work_units = 1000;
  speeds.Observe(views);  // worker 2 has not reported
  EXPECT_DOUBLE_EQ(speeds.seconds_per_unit()[0], 2e-3);
  EXPECT_DOUBLE_EQ(speeds.seconds_per_unit()[1], 4e-3);
  EXPECT_DOUBLE_EQ(speeds.seconds_per_unit()[2], 3e-3);
  views[0].last_busy_seconds = 4.0;
  speeds.Observe(views);
  EXPECT_DOUBLE_EQ(speeds.seconds_per_unit()[0], 3e-3);  // half way to the new sample
}

// Two workers, 4000 equal rows, run `rounds` rounds in which worker w's measured speed is
// slowdown[w] times a +-20% jitter (as on shared cores). Returns the rows moved after round 10.
int64_t RunJitteredRounds(LoadBalancer& balancer, const std::vector<double>& slowdown,
                          bool use_noise_band, int rounds, uint64_t seed) {
  const std::vector<int64_t> work(4000, 10);
  const std::vector<double> equal = {1.0, 1.0};
  balancer.Reset(work, equal);
  WorkerSpeeds speeds;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  int64_t moved_late = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::vector<double> noisy = {slowdown[0] * jitter(rng), slowdown[1] * jitter(rng)};
    speeds.Observe(MeasureRound(balancer, work, noisy));
    const int64_t moved =
        balancer.Rebalance(speeds.seconds_per_unit(), use_noise_band ? speeds.NoiseBand() : 0);
    if (round >= 10) moved_late += moved;
  }
  return moved_late;
}

// Equally fast workers: with only the fixed dead band the split keeps chasing the noise; with
// the noise band it settles.
TEST(LoadBalancer, NoiseBandKeepsMeasurementNoiseFromMovingRows) {
  LoadBalancer without, with;
  EXPECT_GT(RunJitteredRounds(without, {1, 1}, false, 60, 5), 1000)
      << "the test's noise should move rows without the noise band";
  EXPECT_LT(RunJitteredRounds(with, {1, 1}, true, 60, 5), 200) << "noise alone kept moving rows";
}

// The band never hides a real difference: a worker 3x slower still loses rows under noise.
TEST(LoadBalancer, NoiseBandStillMovesRowsOffASlowWorker) {
  LoadBalancer balancer;
  RunJitteredRounds(balancer, {1, 3}, true, 30, 6);
  const double ratio = balancer.Cost(1) / balancer.Cost(0);
  EXPECT_GT(ratio, 0.2);
  EXPECT_LT(ratio, 0.5) << "the slow worker should keep about a third of the others' rows";
}

TEST(WorkerSpeeds, NoiseBandIsZeroForSteadyWorkersAndGrowsWithJitter) {
  WorkerSpeeds steady;
  std::vector<WorkerView> views(2);
  for (WorkerView& view : views) view.last_work_units = 100;
  for (int round = 0; round < 10; ++round) {
    views[0].last_busy_seconds = 1.0;
    views[1].last_busy_seconds = 2.0;
    steady.Observe(views);
  }
  EXPECT_DOUBLE_EQ(steady.NoiseBand(), 0.0);

  WorkerSpeeds small, large;
  for (int round = 0; round < 40; ++round) {
    const double sign = round % 2 == 0 ? 1 : -1;
    views[0].last_busy_seconds = views[1].last_busy_seconds = 1.0 + 0.05 * sign;
    small.Observe(views);
    views[0].last_busy_seconds = views[1].last_busy_seconds = 1.0 + 0.3 * sign;
    large.Observe(views);
  }
  EXPECT_GT(small.NoiseBand(), 0.02);
  EXPECT_GT(large.NoiseBand(), 4 * small.NoiseBand());
  EXPECT_LT(large.NoiseBand(), 1.5);
}

TEST(WorkerSpeeds, RemapKeepsWhatWasMeasuredOfTheWorkersThatStay) {
  WorkerSpeeds speeds;
  std::vector<WorkerView> views(3);
  for (int w = 0; w < 3; ++w) {
    views[w].last_work_units = 100;
    views[w].last_busy_seconds = 100.0 * (w + 1);  // 1, 2, 3 seconds per unit
  }
  speeds.Observe(views);
  // Worker 1 was lost; worker 2 moved to index 1; a newcomer is at index 2.
  const std::vector<int> from = {0, 2, -1};
  speeds.Remap(from);
  ASSERT_EQ(speeds.seconds_per_unit().size(), 3u);
  EXPECT_DOUBLE_EQ(speeds.seconds_per_unit()[0], 1.0);
  EXPECT_DOUBLE_EQ(speeds.seconds_per_unit()[1], 3.0);
  EXPECT_DOUBLE_EQ(speeds.seconds_per_unit()[2], 2.0);  // the mean of those known
}

TEST(Spread, IsRangeOverMean) {
  EXPECT_DOUBLE_EQ(Spread(std::vector<double>{1, 2, 3}), 1.0);
  EXPECT_DOUBLE_EQ(Spread(std::vector<double>{}), 0.0);
  EXPECT_DOUBLE_EQ(Spread(std::vector<double>{0, 0}), 0.0);
}

}  // namespace
}  // namespace strads::core
