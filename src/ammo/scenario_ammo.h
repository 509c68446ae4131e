// The scenario ammo reader (docs/scenario.md "Multi-step sessions"): the `scenario`, `step`
// and `sleep` fields of jsonline ammo, or the `[scenario=NAME step=N sleep=D]` markers of
// phantom, uri and uripost ammo (docs/ammo.md "Session markers"), one scenario::StepMark per
// record in the order the ammo compiler keeps the records (so mark r belongs to compiled
// record r). The compiled ammo file has no place for them: the launcher reads them from the
// source at start.
// Control plane; one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ammo/input_stream.h"
#include "plan/plan.h"
#include "scenario/session.h"

namespace incarne {

// The marks of the jsonline objects of `in`, at most `limit` (0 = all). Errors as the
// jsonline reader's ("<file>: line L, offset O: expected ...").
absl::StatusOr<std::vector<scenario::StepMark>> ReadScenarioMarks(InputStream& in, uint64_t limit);
// The same for phantom, uri or uripost ammo (`format`; jsonline as above; any other format
// has no marks: an empty vector). `options` as the compiler's (uri's config headers).
absl::StatusOr<std::vector<scenario::StepMark>> ReadScenarioMarks(InputStream& in,
                                                                  AmmoFormat format,
                                                                  uint64_t limit);

// The same for the file `path`; an empty vector when no object has a "scenario" (the ammo
// has no sessions).
absl::StatusOr<std::vector<scenario::StepMark>> ReadScenarioMarksFile(const std::string& path,
                                                                      uint64_t limit);
absl::StatusOr<std::vector<scenario::StepMark>> ReadScenarioMarksFile(const std::string& path,
                                                                      AmmoFormat format,
                                                                      uint64_t limit);

}  // namespace incarne
