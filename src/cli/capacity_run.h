// `incarne run` for load.model = "find-max" and "usl" (docs/capacity.md "The models"): a plan
// whose steps are decided by the capacity finder rather than by a schedule.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/launch_cli.h"
#include "engine/launcher.h"

namespace incarne::cli {

// When the plan (as LaunchFromCli would load it) has a capacity model, runs it and returns
// the exit code; nullopt for any other plan, and for a plan that does not load (the caller's
// LaunchFromCli then reports it as usual).
std::optional<int> MaybeRunCapacity(const LaunchOptions& options, const CliLaunchOptions& cli);

// `incarne report` of a find-max run directory (it has find_max.csv): the step table (or, with
// json, summary.json as it is); nullopt for any other directory.
std::optional<absl::StatusOr<std::string>> CapacityReport(const std::string& run_dir, bool json);

// `incarne report` of a usl-model run (it has usl.csv): appends the fit to the text report,
// or the "usl" member of summary.json to the JSON one. Nothing for other runs.
absl::Status AddUslReport(const std::string& run_dir, bool json, std::string* report);

}  // namespace incarne::cli
