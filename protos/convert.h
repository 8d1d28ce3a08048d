// Conversions between strads.v1 messages and the core's plain types. The only place both kinds
// meet, so the services stay thin and the core never sees protobuf.
#pragma once

#include "core/app.h"
#include "core/job_spec.h"
#include "strads/v1/strads.pb.h"

namespace strads::proto {

core::JobSpec FromProto(const v1::JobSpec& in);
void ToProto(const core::JobSpec& in, v1::JobSpec* out);

// Copies reuse the destination's capacity, so per-round conversions allocate nothing.
void FromProto(const v1::Payload& in, core::Payload* out);
void ToProto(const core::Payload& in, v1::Payload* out);

}  // namespace strads::proto
