// The stepper: Tank's load_plan.py / instance_plan.py math (docs/schedule.md "The math"),
// lazy and in nanoseconds. The language, the guarantees and every deviation from Tank are in
// docs/schedule.md.
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
  double a = 0;      // const: rate/instances; line/step: from; once: count
  double b = 0;      // line/step: to
  double s = 0;      // step: increment
  int64_t d_ns = 0;  // step duration (step: per level)
  std::string text;  // as written, for messages and --summary
};

class Schedule {
 public:
  // An empty rps schedule (no shots, zero duration); real ones come from Parse().
  Schedule() = default;

  // Parses the DSL of docs/design.md §7 for `model` (kRps or kInstances). Errors are
  // InvalidArgument "column N: expected ..." with a 1-based column into `expr`.
  // Rejects schedules of more than kMaxShots shots, longer than kMaxDurationMs, or whose
  // rps `step` stairs have more than kMaxSegments levels in total (also the cap on stored
  // runs of shots). Control plane; the result is immutable and safe to share across threads.
  static absl::StatusOr<Schedule> Parse(std::string_view expr, LoadModel model);

  // 2^40 (~1.1e12): far beyond any real test, and small enough that the double math of `line`
  // keeps successive shot times strictly ordered to the ns (at 2^53 it did not: fuzzing found
  // line(1, 21000000, 120000h) going backwards by tens of ns).
  static constexpr uint64_t kMaxShots = uint64_t{1} << 40;
  static constexpr int64_t kMaxDurationMs = int64_t{100} * 366 * 86400 * 1000;  // ~100 years
  static constexpr size_t kMaxSegments = 100000;

  LoadModel model() const { return model_; }
  uint64_t shots() const { return shots_; }             // total shots (rps) or instance starts
  int64_t duration_ns() const { return duration_ns_; }  // Σ step durations (Tank's, see docs)
  // Planned time of shot i < shots(), ns from the start; non-decreasing in i (ShotMs always;
  // the ns up to the float rounding noted in docs/schedule.md). Hot path:
  // no allocation, branch-free search over the segments plus one formula.
  int64_t ShotNs(uint64_t i) const;
  // The planned times of shots first, first + stride, ..., n of them (each < shots()), into
  // out[0, n): exactly ShotNs of each — the same formula, with one segment search per segment
  // crossed instead of one per shot and the segment's constants hoisted out of the loop (the
  // worker fills its shot buffer with it; docs/engine.md "Workers"). Hot path: no allocation.
  void ShotsNs(uint64_t first, uint64_t stride, size_t n, int64_t* out) const;
  // Tank's integer milliseconds for shot i; always == ShotNs(i) / 1000000.
  int64_t ShotMs(uint64_t i) const;
  // instances model: instances started at or before t (0..shots()). In the rps model: the
  // number of shots due at or before t. O(log steps + log shots).
  uint64_t InstancesAt(int64_t t_ns) const;
  const std::vector<ScheduleStep>& steps() const { return steps_; }
  // {"model","shots","duration_ns","steps":[...]} as printed by `incarne schedule --summary`.
  std::string SummaryJson() const;

 private:
  // A run of shots with one formula. Steps expand into segments: const/line → one, an rps
  // `step` → one const segment per level, once/start → one kAt, an instances `step` → kAt +
  // kStair (+ kAt). Segments without shots are not stored (their time is in the offsets).
  struct Segment {
    enum class Type : uint8_t { kConst, kLine, kAt, kRamp, kStair };
    Type type = Type::kAt;
    uint64_t count = 0;
    int64_t base_ms = 0;       // Tank's offset of this segment (ms); shots are base + local
    int64_t span_ms = 0;       // the segment's length in Tank's timeline (upper ns clamp)
    int64_t max_local_ms = 0;  // Tank ms of the last shot, relative to base (saturation bound)
    // kConst: x = 1000/R (Tank's interval), y = 1e9/R.
    // kLine:  x = slope/2 (Tank's a), y = A (Tank's b), z = 2·a (0 ⇒ Tank's i/A fallback).
    // kRamp:  x = Tank's interval D/(n−1) (ms), skip = first point index (0|1), n = points,
    //         d_ns = D in ns.
    // kStair: n = instances per level, span_ms = one level's duration.
    double x = 0;
    double y = 0;
    double z = 0;
    uint64_t n = 0;
    uint64_t skip = 0;
    int64_t d_ns = 0;
  };
  struct StepInfo {
    std::string name;    // as written: const, line, step, once, pause, start, wait, ramp
    uint64_t first = 0;  // first global shot index
    uint64_t shots = 0;
    int64_t start_ns = 0;
    int64_t span_ns = 0;  // contribution to the timeline (Tank's get_duration)
    uint64_t levels = 0;  // rps step: constant levels; instances: instances after the step
  };
  class Builder;

  // Shot j of a segment: Tank's ms, and the ns clamped into that ms (absolute times).
  static int64_t SegmentMs(const Segment& seg, uint64_t j);
  static int64_t SegmentNs(const Segment& seg, uint64_t j);
  [[gnu::noinline]] static int64_t SegmentNsCold(const Segment& seg, uint64_t j);
  static int64_t LocalMs(const Segment& seg, uint64_t j);
  size_t SegmentOf(uint64_t i) const;

  LoadModel model_ = LoadModel::kRps;
  uint64_t shots_ = 0;
  int64_t duration_ns_ = 0;
  std::vector<ScheduleStep> steps_;
  std::vector<StepInfo> info_;    // parallel to steps_
  std::vector<uint64_t> firsts_;  // first global shot index of each segment
  std::vector<Segment> segments_;
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
