// A job as the core sees it: which app, which data, how many workers, and the app's parameters as
// text. Mirrors strads.v1.JobSpec without depending on protobuf.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace strads::core {

// The deepest pipeline a job may ask for.
inline constexpr int kMaxPipelineDepth = 64;

struct JobSpec {
  std::string app;
  std::string data_path;
  std::string test_path;
  // Labels in a file of their own, for data formats that hold none (a MatrixMarket X.mmt and its
  // Y.mmt); empty when the data file carries them.
  std::string labels_path;
  int workers = 1;
  int64_t max_rounds = 0;  // 0 = app default
  double tolerance = 0;    // 0 = app default
  double max_seconds = 0;  // 0 = no limit
  // Higher starts first when jobs wait for workers; FIFO among equal priorities.
  int priority = 0;
  // Rounds in flight at most (pipelined rounds, `--pipeline`), within what the app allows
  // (SchedulerApp::max_pipeline_depth). 0 = the app's default for these parameters
  // (apps::ResolvePipelineDepth), which the scheduler resolves and stores at submission; a job
  // that reaches the engine with 0 runs one round at a time.
  int pipeline = 0;
  std::map<std::string, std::string> params;
  std::string name;  // optional user label; unique among unfinished jobs
};

}  // namespace strads::core
