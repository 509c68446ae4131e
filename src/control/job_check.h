// What the daemon checks of a queued job before anything is created or sent: the plan exactly
// as `incarne check` validates it (a Tank NAME.yaml as `incarne run --tank` converts it), then
// the configuration's [allow] list and caps (docs/daemon.md "Allowlist and caps").
// Control plane only.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "control/daemon_config.h"
#include "engine/target.h"
#include "plan/plan.h"

namespace incarne::control {

struct CheckedJob {
  Plan plan;
  std::string plan_text;      // the TOML the launcher runs (a Tank config converted)
  bool external_nib = false;  // target.nib is an allowed plugin .so
  // target.address as resolved when the allowlist was checked; the run uses it as it is
  // (LaunchOptions::target), never resolving the name a second time. Unset for nib dummy.
  std::optional<ResolvedAddress> target;
};

// `text` is the control file's content, `name` how messages name it (the spool path of the
// job). Errors are InvalidArgument with the message `incarne check` prints for the plan, or
// naming the plan key, its value and the [allow] key of `config` that refuses it.
absl::StatusOr<CheckedJob> CheckJob(const std::string& text, const std::string& name, bool tank,
                                    const DaemonConfig& config);

// The planned length of firing as far as the plan tells it (load.duration or the schedule's
// length); 0 when unknown before the ammo is read (stpd without load.duration).
int64_t PlannedDurationNs(const Plan& plan);

}  // namespace incarne::control
