// Multi-step sessions (docs/scenario.md "Multi-step sessions"): a session is an ordered list
// of steps, each an ammo record and the think time before it. The table is built once at
// start — from the `scenario`/`step`/`sleep` fields of jsonline ammo or from the plan's
// [[scenario.steps]] — and read by the workers (shared, read-only): an instance (closed
// model) or a shot (open model) runs session after session, step after step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/plan.h"

namespace incarne::scenario {

// The session tag of a session that records no session hit (a jsonline record without a
// "scenario": a session of its one step).
inline constexpr uint32_t kNoSessionTag = UINT32_MAX;

struct SessionStep {
  uint64_t record = 0;
  int64_t sleep_ns = 0;  // think time before this step (the first step's is not waited)
};

struct SessionTable {
  std::vector<uint64_t> begin;  // session i: steps[begin[i], begin[i + 1])
  std::vector<SessionStep> steps;
  std::vector<uint32_t> tag;  // per session: its record's tag, or kNoSessionTag
  size_t count() const { return tag.size(); }
  uint32_t Steps(size_t i) const { return static_cast<uint32_t>(begin[i + 1] - begin[i]); }
  const SessionStep& Step(size_t i, uint32_t k) const { return steps[begin[i] + k]; }
};

// What a jsonline object said of its record (ammo record r = marks[r]).
struct StepMark {
  std::string scenario;  // "" = no "scenario" field
  uint32_t step = 0;
  int64_t sleep_ns = 0;
  std::string where;  // "ammo.jsonl: line 3, offset 120" (messages)
};

// Sessions from jsonline marks: records of a scenario come in order, step 1 starting a
// session and step k + 1 following step k of the same scenario. A record without "scenario"
// is a session of its own (no session record). The scenario names are appended to `tags`
// (when not there yet) and become the sessions' tags. InvalidArgument naming the record's
// position for a step out of order (missing or going back: "cyclic"), a "step" or "sleep"
// without "scenario", more than 65535 tags.
absl::StatusOr<SessionTable> SessionsFromMarks(const std::vector<StepMark>& marks,
                                               std::vector<std::string>* tags);

// Sessions from [[scenario.steps]]: session j's step k is the (j mod n_k)-th record tagged
// steps[k].tag (n_k such records), for j below the largest n_k. `record_tags`: each ammo
// record's tag. The session tag is `name`, appended to `tags`. InvalidArgument naming the
// step's position for a tag no record has.
absl::StatusOr<SessionTable> SessionsFromSteps(const std::vector<StepPlan>& steps,
                                               const std::string& name,
                                               const std::vector<uint16_t>& record_tags,
                                               std::vector<std::string>* tags);

}  // namespace incarne::scenario
