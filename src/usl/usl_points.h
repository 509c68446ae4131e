// Where `incarne usl` and the usl model get their (N, X) points (docs/capacity.md "Points"):
// a CSV of N,X, or a closed-model run directory whose seconds are grouped by the number of
// instances its schedule had running. Control plane only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "usl/usl_fit.h"

namespace incarne {

// Text "N,X" per line: an optional header first (a line whose first field is not a number,
// e.g. "N,X"), blank lines and lines starting with '#' skipped, spaces around fields and a
// trailing CR allowed. InvalidArgument "NAME:LINE: expected ..." for anything else, at most
// kMaxUslPoints points.
inline constexpr size_t kMaxUslPoints = 100'000;
absl::StatusOr<std::vector<UslPoint>> ParseUslCsv(std::string_view text, std::string_view name);
absl::StatusOr<std::vector<UslPoint>> ReadUslCsvFile(const std::string& path);

// One level of instances in a closed-model run, measured.
struct UslStepPoint {
  uint64_t n = 0;
  int64_t first_second = 0;  // the seconds judged: [first_second, first_second + seconds)
  uint64_t seconds = 0;
  uint64_t successes = 0;  // hits that are not errors
  uint64_t errors = 0;
  double x = 0;  // successes per second
};

// The points of a closed-model (load.model = "instances") run directory: each finished second
// is assigned the instance count the schedule in RUN_DIR/plan.toml had at its start; a second
// in which the count changes, the first `warmup_ns` after a change and the run's last second
// (cut short by the end) are not judged; warmup_ns < 0: the plan's load.usl.warmup. Levels with no
// judged second are left out. InvalidArgument when the run is not a closed-model run; NotFound
// without plan.toml.
absl::StatusOr<std::vector<UslStepPoint>> StepPointsFromRun(const std::string& run_dir,
                                                            int64_t warmup_ns);

}  // namespace incarne
