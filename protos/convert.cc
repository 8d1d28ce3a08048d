#include "protos/convert.h"

namespace strads::proto {

core::JobSpec FromProto(const v1::JobSpec& in) {
  core::JobSpec out;
  out.app = in.app();
  out.data_path = in.data_path();
  out.test_path = in.test_path();
  out.labels_path = in.labels_path();
  out.workers = in.workers();
  out.max_rounds = in.max_rounds();
  out.tolerance = in.tolerance();
  out.max_seconds = in.max_seconds();
  out.priority = in.priority();
  out.pipeline = in.pipeline();
  out.params.insert(in.params().begin(), in.params().end());
  out.name = in.name();
  return out;
}

void ToProto(const core::JobSpec& in, v1::JobSpec* out) {
  out->set_app(in.app);
  out->set_data_path(in.data_path);
  out->set_test_path(in.test_path);
  out->set_labels_path(in.labels_path);
  out->set_workers(in.workers);
  out->set_max_rounds(in.max_rounds);
  out->set_tolerance(in.tolerance);
  out->set_max_seconds(in.max_seconds);
  out->set_priority(in.priority);
  out->set_pipeline(in.pipeline);
  out->mutable_params()->clear();
  for (const auto& [key, value] : in.params) (*out->mutable_params())[key] = value;
  out->set_name(in.name);
}

void FromProto(const v1::Payload& in, core::Payload* out) {
  out->op = in.op();
  out->keys.assign(in.keys().begin(), in.keys().end());
  out->values.assign(in.values().begin(), in.values().end());
}

void ToProto(const core::Payload& in, v1::Payload* out) {
  out->set_op(in.op);
  out->mutable_keys()->Clear();
  out->mutable_keys()->Add(in.keys.begin(), in.keys.end());
  out->mutable_values()->Clear();
  out->mutable_values()->Add(in.values.begin(), in.values.end());
}

}  // namespace strads::proto
