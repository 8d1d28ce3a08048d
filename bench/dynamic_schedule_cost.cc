// bench/dynamic_schedule_cost: what the STRADS dynamic schedule costs the scheduler per round
// (priority sampling, the dependency check, and the priority updates of the kept coordinates),
// against the random (Shotgun) schedule's cost on the same problem, in the same process.
//
// The priorities are those of a job near its optimum: the reference solution's coefficients give
// the predicted changes (about 1000 coordinates active out of 20000, clustered in correlated
// groups), as they do at a gap round, and every kept coordinate's priority is refreshed after each
// round, as Pull does.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "apps/lasso/generator.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/lasso_schedules.h"
#include "apps/lasso/reference_solver.h"
#include "core/csc_matrix.h"

namespace {

struct Problem {
  strads::core::LabeledData data;
  std::vector<double> col_sqnorm;
  std::vector<double> solution;
};

const Problem& BenchProblem() {
  static const Problem* problem = [] {
    strads::lasso::LassoProblemOptions options;
    options.samples = 10000;
    options.features = 20000;
    options.density = 0.002;
    options.correlation = 0.95;
    options.group_size = 20;
    options.seed = 1;
    auto generated = strads::lasso::GenerateLassoProblem(options);
    if (!generated.ok()) {
      std::fprintf(stderr, "%s\n", generated.status().ToString().c_str());
      std::exit(1);
    }
    auto* p = new Problem;
    p->data = std::move(generated->data);
    p->col_sqnorm = strads::core::ColumnSquaredNorms(p->data.x);
    const double lambda = 0.1 * strads::lasso::LambdaMax(p->data.x, p->data.y);
    strads::lasso::ReferenceSolverOptions solver;
    solver.lambda = lambda;
    solver.tolerance = 1e-6;
    auto solved = strads::lasso::SolveLassoReference(p->data, solver);
    if (!solved.ok()) {
      std::fprintf(stderr, "%s\n", solved.status().ToString().c_str());
      std::exit(1);
    }
    p->solution = solved->beta;
    return p;
  }();
  return *problem;
}

void RunRounds(benchmark::State& state, strads::lasso::LassoSchedule& schedule) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 1e-3);
  std::vector<int64_t> batch;
  int64_t kept = 0;
  for (auto _ : state) {
    schedule.Next(&batch);
    for (int64_t j : batch) schedule.OnUpdated(j, noise(rng));
    kept += static_cast<int64_t>(batch.size());
    benchmark::DoNotOptimize(batch.data());
  }
  state.counters["kept_per_round"] =
      static_cast<double>(kept) / static_cast<double>(state.iterations());
}

void BM_DynamicRound(benchmark::State& state) {
  const Problem& p = BenchProblem();
  const int64_t batch = state.range(0);
  strads::lasso::DynamicSchedule schedule(&p.data.x, p.col_sqnorm, batch, /*rho=*/0.3,
                                          strads::core::kGershgorinRowSum, /*eta=*/1e-6,
                                          /*initial_floor=*/1e-12,
                                          /*candidates_factor=*/2.0, /*seed=*/1);
  schedule.OnGradientPass(p.solution);
  RunRounds(state, schedule);
}

void BM_RandomRound(benchmark::State& state) {
  const Problem& p = BenchProblem();
  strads::lasso::RandomSchedule schedule(p.data.x.cols, state.range(0), /*seed=*/1);
  RunRounds(state, schedule);
}

BENCHMARK(BM_DynamicRound)->Arg(64)->Arg(256)->Arg(1024)->Arg(4096)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RandomRound)->Arg(64)->Arg(256)->Arg(1024)->Arg(4096)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
