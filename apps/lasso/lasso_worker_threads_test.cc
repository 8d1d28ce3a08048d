// LassoWorkerApp on a ThreadTeam: pushes, cache updates and gap passes give bit-identical results
// whatever the team's size, and the right ones (checked against a plain dense computation).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "apps/lasso/generator.h"
#include "apps/lasso/lasso_app.h"
#include "apps/lasso/lasso_protocol.h"
#include "apps/lasso/lasso_worker_app.h"
#include "core/app.h"
#include "core/row_sharding.h"
#include "core/thread_team.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

// Two shards of 20000 rows (5 row blocks each), 400 columns of about 2000 non-zeros: every loop
// below is big enough to run on the whole team.
struct Fixture {
  core::LabeledData data;
  std::vector<std::string> shards;
};

const Fixture& SharedFixture() {
  static const Fixture* fixture = [] {
    LassoProblemOptions options;
    options.samples = 40000;
    options.features = 400;
    options.density = 0.05;
    options.correlation = 0.3;
    options.seed = 9;
    auto* f = new Fixture;
    f->data = GenerateLassoProblem(options)->data;
    for (const core::RowRange& range : core::SplitRowsByNnz(f->data.x, 2)) {
      f->shards.push_back(core::EncodeShard(core::SliceRows(f->data, range)));
    }
    return f;
  }();
  return *fixture;
}

// Everything a worker reported over a scripted run, in order.
struct Transcript {
  std::vector<std::vector<double>> values;
  std::vector<int64_t> work_units;
};

// Runs the same script on a worker with `threads` threads (0: no team lent): shards with a
// non-zero init, then rounds of apply + push over random batches, with a gap pass in between.
Transcript RunScript(int threads, bool intercept) {
  const Fixture& f = SharedFixture();
  const int64_t features = f.data.x.cols;
  std::unique_ptr<core::ThreadTeam> team;
  std::unique_ptr<core::WorkerApp> worker = NewLassoWorkerApp();
  if (threads > 0) {
    team = std::make_unique<core::ThreadTeam>(threads);
    worker->UseThreads(team.get());
  }
  core::JobSpec spec;
  spec.app = "lasso";
  if (intercept) spec.params["intercept"] = "true";
  EXPECT_TRUE(worker->Configure(spec).ok());
  core::Payload init;
  init.op = kInitCoefficients;
  init.keys = {3, 50, 201};
  init.values = {0.25, -1.5, 0.75};
  if (intercept) {
    init.keys.push_back(features);
    init.values.push_back(0.125);
  }
  init.values.push_back(0);  // model version 0
  for (int shard = 0; shard < 2; ++shard) {
    EXPECT_TRUE(worker->AddShard(shard, f.shards[static_cast<size_t>(shard)], init).ok());
  }

  std::mt19937_64 rng(17);
  Transcript out;
  core::Payload task;
  core::Payload update;
  core::Partial partial;
  for (int64_t round = 1; round <= 12; ++round) {
    task.clear();
    task.op = round % 5 == 0 ? kComputeGap : kPushCoordinates;
    if (task.op == kPushCoordinates) {
      std::vector<int64_t> all(static_cast<size_t>(features));
      for (int64_t j = 0; j < features; ++j) all[static_cast<size_t>(j)] = j;
      std::shuffle(all.begin(), all.end(), rng);
      task.keys.assign(all.begin(), all.begin() + 60);
    }
    EXPECT_TRUE(worker->Push(task, &partial).ok());
    out.values.push_back(partial.values);
    out.work_units.push_back(partial.work_units);

    update.clear();
    update.op = kApplyDeltas;
    std::uniform_real_distribution<double> delta(-0.5, 0.5);
    for (size_t i = 0; i < 40 && i < task.keys.size(); ++i) {
      update.keys.push_back(task.keys[i]);
      update.values.push_back(delta(rng));
    }
    if (update.keys.empty()) {
      update.keys = {7, 8};
      update.values = {0.1, -0.2};
    }
    if (intercept) {
      update.keys.push_back(features);
      update.values.push_back(delta(rng));
    }
    update.values.push_back(static_cast<double>(round));  // the model version after it
    EXPECT_TRUE(worker->Apply(update).ok());
  }
  return out;
}

bool BitIdentical(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void ExpectSameTranscript(const Transcript& serial, const Transcript& parallel, int threads) {
  ASSERT_EQ(serial.values.size(), parallel.values.size());
  for (size_t round = 0; round < serial.values.size(); ++round) {
    EXPECT_TRUE(BitIdentical(serial.values[round], parallel.values[round]))
        << "threads " << threads << ", push " << round;
    EXPECT_EQ(serial.work_units[round], parallel.work_units[round]) << "push " << round;
  }
}

TEST(LassoWorkerThreads, PushesAndUpdatesAreBitIdenticalWhateverTheThreadCount) {
  for (bool intercept : {false, true}) {
    SCOPED_TRACE(intercept ? "intercept" : "no intercept");
    const Transcript serial = RunScript(0, intercept);
    for (int threads : {1, 2, 3, 4})
      ExpectSameTranscript(serial, RunScript(threads, intercept), threads);
  }
}

// The threaded worker computes the right thing, not only the same thing: after an init and one
// update, x_j'r and ||r||^2 match a direct computation over the whole matrix.
TEST(LassoWorkerThreads, ParallelPushMatchesADirectComputation) {
  const Fixture& f = SharedFixture();
  const core::CscMatrix& x = f.data.x;
  core::ThreadTeam team(3);
  std::unique_ptr<core::WorkerApp> worker = NewLassoWorkerApp();
  worker->UseThreads(&team);
  core::JobSpec spec;
  spec.app = "lasso";
  ASSERT_TRUE(worker->Configure(spec).ok());
  core::Payload init;
  init.op = kInitCoefficients;
  init.values = {0};
  for (int shard = 0; shard < 2; ++shard) {
    ASSERT_TRUE(worker->AddShard(shard, f.shards[static_cast<size_t>(shard)], init).ok());
  }
  core::Payload update;
  update.op = kApplyDeltas;
  std::vector<double> beta(static_cast<size_t>(x.cols), 0.0);
  for (int64_t j = 0; j < x.cols; j += 7) {
    update.keys.push_back(j);
    update.values.push_back(0.01 * static_cast<double>(j % 13) - 0.05);
    beta[static_cast<size_t>(j)] = update.values.back();
  }
  update.values.push_back(1);
  ASSERT_TRUE(worker->Apply(update).ok());

  std::vector<double> r = f.data.y;
  for (int64_t j = 0; j < x.cols; ++j) {
    for (int64_t k = x.col_ptr[j]; k < x.col_ptr[j + 1]; ++k) {
      r[static_cast<size_t>(x.row_idx[k])] -= x.values[k] * beta[static_cast<size_t>(j)];
    }
  }
  double r_sq = 0;
  for (double v : r) r_sq += v * v;
  core::Payload task;
  task.op = kPushCoordinates;
  for (int64_t j = 0; j < x.cols; j += 3) task.keys.push_back(j);
  core::Partial partial;
  ASSERT_TRUE(worker->Push(task, &partial).ok());
  ASSERT_EQ(partial.values.size(), task.keys.size() + 1);
  for (size_t i = 0; i < task.keys.size(); ++i) {
    const int64_t j = task.keys[i];
    double dot = 0;
    for (int64_t k = x.col_ptr[j]; k < x.col_ptr[j + 1]; ++k) {
      dot += x.values[k] * r[static_cast<size_t>(x.row_idx[k])];
    }
    EXPECT_NEAR(partial.values[i], dot, 1e-9 * (1 + std::abs(dot))) << "column " << j;
  }
  EXPECT_NEAR(partial.values.back(), r_sq, 1e-9 * r_sq);
}

TEST(LassoWorkerThreads, AnOutOfRangeUpdateChangesNothing) {
  const Fixture& f = SharedFixture();
  core::ThreadTeam team(2);
  std::unique_ptr<core::WorkerApp> worker = NewLassoWorkerApp();
  worker->UseThreads(&team);
  core::JobSpec spec;
  spec.app = "lasso";
  ASSERT_TRUE(worker->Configure(spec).ok());
  core::Payload init;
  init.op = kInitCoefficients;
  init.values = {0};
  ASSERT_TRUE(worker->AddShard(0, f.shards[0], init).ok());
  core::Payload task;
  task.op = kPushCoordinates;
  task.keys = {1, 2};
  core::Partial before;
  ASSERT_TRUE(worker->Push(task, &before).ok());
  core::Payload update;
  update.op = kApplyDeltas;
  update.keys = {1, f.data.x.cols};  // the second is out of range without the intercept
  update.values = {0.5, 0.5, 1};
  EXPECT_FALSE(worker->Apply(update).ok());
  core::Partial after;
  ASSERT_TRUE(worker->Push(task, &after).ok());
  EXPECT_TRUE(BitIdentical(before.values, after.values));
}

}  // namespace
}  // namespace strads::lasso
