// bench/lasso_pass_bandwidth: how close a full pass over a worker's shard (the duality-gap push,
// X_p' r_p over every column) comes to the machine's memory bandwidth. The pass streams the CSC
// arrays once (8-byte value + 4-byte row index per non-zero, 8 bytes per column pointer) and
// gathers from the residual; the baseline is memcpy of a buffer of the same size, measured in the
// same process. Ratio = achieved bytes/s of the pass / memcpy bytes/s (1.0 = bandwidth bound).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "apps/lasso/generator.h"
#include "apps/lasso/lasso_app.h"
#include "apps/lasso/lasso_protocol.h"
#include "core/row_sharding.h"
#include "core/thread_team.h"

namespace {

struct Fixture {
  std::unique_ptr<strads::core::WorkerApp> worker;
  int64_t streamed_bytes = 0;
};

Fixture& SharedFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    strads::lasso::LassoProblemOptions options;
    options.samples = 200000;
    options.features = 50000;
    options.density = 0.001;  // 10M non-zeros, ~120 MB of CSC: far beyond the caches
    options.correlation = 0.5;
    options.seed = 1;
    strads::lasso::LassoProblem problem = *strads::lasso::GenerateLassoProblem(options);
    f->streamed_bytes = problem.data.x.nnz() * (8 + 4) + (problem.data.x.cols + 1) * 8;
    f->worker = strads::lasso::NewLassoWorkerApp();
    strads::core::JobSpec spec;
    spec.app = "lasso";
    (void)f->worker->Configure(spec);
    strads::core::Payload init;
    init.op = strads::lasso::kInitCoefficients;
    init.values.push_back(0);  // model version 0, all coefficients zero
    (void)f->worker->AddShard(0, strads::core::EncodeShard(problem.data), init);
    return f;
  }();
  return *fixture;
}

// Arg: the worker's threads (strads-worker --threads).
void BM_GapPass(benchmark::State& state) {
  Fixture& f = SharedFixture();
  strads::core::ThreadTeam team(static_cast<int>(state.range(0)));
  f.worker->UseThreads(&team);
  strads::core::Payload task;
  task.op = strads::lasso::kComputeGap;
  strads::core::Partial partial;
  for (auto _ : state) {
    (void)f.worker->Push(task, &partial);
    benchmark::DoNotOptimize(partial.values.data());
  }
  state.SetBytesProcessed(state.iterations() * f.streamed_bytes);
  f.worker->UseThreads(nullptr);
}
BENCHMARK(BM_GapPass)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(1);

void BM_MemcpyBaseline(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(SharedFixture().streamed_bytes);
  std::vector<char> source(bytes, 1), target(bytes, 0);
  for (auto _ : state) {
    std::memcpy(target.data(), source.data(), bytes);
    benchmark::DoNotOptimize(target.data());
  }
  // memcpy reads and writes each byte; count what it reads, as the pass only reads.
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_MemcpyBaseline)->Unit(benchmark::kMillisecond)->MinTime(2);

}  // namespace

BENCHMARK_MAIN();
