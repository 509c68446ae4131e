// Session marks read from a compiled ammo file's sessions section (docs/formats.md "Sessions
// section", docs/scenario.md "Multi-step sessions"): `incarne ammo compile` stores each
// record's `scenario`/`step`/`sleep` (jsonline fields, or the `[scenario=NAME step=N
// sleep=D]` markers of phantom, uri and uripost ammo), so a run of the compiled file has its
// sessions without the source. Control plane, at start; one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ammo/ammo_file.h"
#include "scenario/session.h"

namespace incarne {

// One scenario::StepMark per record of `file` (which must has_sessions()), for the first
// `limit` records (0 = all): mark r belongs to record r, `where` is "<path>: record R" (the
// position SessionsFromMarks' errors name). Empty when none of them names a scenario (the
// ammo has no sessions), as ReadScenarioMarksFile's for a source.
std::vector<scenario::StepMark> StoredSessionMarks(const AmmoFile& file, uint64_t limit);

// What `incarne ammo inspect` shows of a file's sessions.
struct StoredSessionCounts {
  uint64_t sessions = 0;  // multi-step sessions (records without a scenario not counted)
  uint64_t steps = 0;     // their steps
  uint32_t longest = 0;   // steps of the longest
};
// The sessions of `file` (which must has_sessions()) as a run builds them; the error of
// SessionsFromMarks (a step out of order, naming the record) when it would refuse them.
absl::StatusOr<StoredSessionCounts> CountStoredSessions(const AmmoFile& file);

}  // namespace incarne
