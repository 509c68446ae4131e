// The dummy nib's configuration, built once on the control thread (h2o's configurator split).
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "incarne/nib.h"

namespace incarne::dummy {

struct DummyConfig {
  int64_t latency_ns = 0;  // 0 = every hit completes as soon as it starts
};

inline constexpr int64_t kMaxLatencyNs = int64_t{3600} * 1000 * 1000 * 1000;  // 1 h

// From the typed plan (built-in use: config->plan is an incarne::Plan) or, when plan is NULL,
// from the string pairs ("latency" = a duration as written, e.g. "1ms"). InvalidArgument
// naming the key for an unknown key, a malformed duration, or a latency outside [0, 1h].
absl::StatusOr<DummyConfig> DummyConfigFrom(const incarne_nib_config& config);

}  // namespace incarne::dummy
