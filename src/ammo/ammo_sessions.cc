#include "ammo/ammo_sessions.h"

#include <algorithm>

#include "util/status.h"
#include "util/strings.h"

namespace incarne {

std::vector<scenario::StepMark> StoredSessionMarks(const AmmoFile& file, uint64_t limit) {
  const uint64_t n = limit != 0 ? std::min(limit, file.count()) : file.count();
  const std::span<const AmmoSessionMark> marks = file.session_marks();
  bool any = false;
  for (const AmmoSessionMark& m : marks) {
    any = any || (m.record < n && m.scenario != 0);
  }
  if (!any) {
    return {};
  }
  std::vector<scenario::StepMark> out(n);
  for (uint64_t r = 0; r < n; ++r) {
    out[r].where = Cat(file.path(), ": record ", r);
  }
  for (const AmmoSessionMark& m : marks) {
    if (m.record >= n) {
      break;  // by increasing record (AmmoFile::Open checked)
    }
    scenario::StepMark& s = out[m.record];
    if (m.scenario != 0) {
      s.scenario = file.scenario_names()[m.scenario - 1];
    }
    s.step = m.step;
    s.sleep_ns = m.sleep_ns;
  }
  return out;
}

absl::StatusOr<StoredSessionCounts> CountStoredSessions(const AmmoFile& file) {
  StoredSessionCounts c;
  std::vector<scenario::StepMark> marks = StoredSessionMarks(file, 0);
  if (marks.empty()) {
    return c;
  }
  std::vector<std::string> tags = file.tags();
  ASSIGN_OR_RETURN(scenario::SessionTable t, scenario::SessionsFromMarks(marks, &tags));
  for (size_t i = 0; i < t.count(); ++i) {
    if (t.tag[i] == scenario::kNoSessionTag) {
      continue;
    }
    ++c.sessions;
    c.steps += t.Steps(i);
    c.longest = std::max(c.longest, t.Steps(i));
  }
  return c;
}

}  // namespace incarne
