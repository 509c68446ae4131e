// The stepper: Tank's load_plan.py / instance_plan.py math (reference/tank.md §2.3–2.4),
// lazy and in nanoseconds.
//
// A Schedule is parsed once (control plane) and then queried on the hot path: ShotNs(i) is
// O(log steps), allocation-free and thread-safe (const). Truncated to milliseconds every
// time equals Tank's stepper output exactly; ShotMs(i) is that Tank value.
//
// rps model: shot i is the i-th request, fired at ShotNs(i).
// instances model: shot i is the start of instance i (instances only grow); once started an
// instance loops until the schedule's duration ends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/plan.h"

namespace incarne {

struct ScheduleStep {
  enum class Kind { kConst, kLine, kStep, kOnce, kPause };
  Kind kind;
  double a = 0;       // const: rate/instances; line/step: from; once: count
  double b = 0;       // line/step: to
  double s = 0;       // step: increment
  int64_t d_ns = 0;   // step duration (step: per level)
  std::string text;   // as written, for messages and --summary
};

class Schedule {
 public:
  // Parses the DSL of DESIGN.md §7 for `model` (kRps or kInstances). Errors are
  // InvalidArgument "column N: expected ..." with a 1-based column into `expr`.
  static absl::StatusOr<Schedule> Parse(std::string_view expr, LoadModel model);

  LoadModel model() const;
  uint64_t shots() const;        // total shots (rps) or instance starts (instances)
  int64_t duration_ns() const;   // Σ step durations
  int64_t ShotNs(uint64_t i) const;  // i < shots()
  int64_t ShotMs(uint64_t i) const;  // Tank's integer ms
  // instances model: instances started at or before t (0..shots()).
  uint64_t InstancesAt(int64_t t_ns) const;
  const std::vector<ScheduleStep>& steps() const;
  // {"model","shots","duration_ns","steps":[...]} as printed by `incarne schedule --summary`.
  std::string SummaryJson() const;

  // (implementation-defined private state: flattened segments with cumulative counts)
};

// Which global shots one worker fires: shard K of N takes i ≡ K (mod N); worker k of W takes
// every W-th of those, so its shots are i = K + N·k + N·W·m, m = 0, 1, ...
struct ShotSlice {
  uint64_t first = 0;   // K + N·k
  uint64_t stride = 1;  // N·W
  static ShotSlice For(uint32_t shard, uint32_t shards, uint32_t worker, uint32_t workers) {
    return ShotSlice{uint64_t{shard} + uint64_t{shards} * worker, uint64_t{shards} * workers};
  }
};

}  // namespace incarne
