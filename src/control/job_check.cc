#include "control/job_check.h"

#include <sys/socket.h>

#include <algorithm>

#include "engine/target.h"
#include "plan/duration.h"
#include "plan/plan_loader.h"
#include "plan/schedule.h"
#include "tank/tank_yaml.h"
#include "util/status.h"
#include "util/strings.h"

namespace incarne::control {
namespace {

// The highest planned rate of an rps schedule, per second (a `once(N)` burst counts as N in
// its second).
double PeakRps(const Schedule& s) {
  double peak = 0;
  for (const ScheduleStep& st : s.steps()) {
    switch (st.kind) {
      case ScheduleStep::Kind::kConst:
      case ScheduleStep::Kind::kOnce:
        peak = std::max(peak, st.a);
        break;
      case ScheduleStep::Kind::kLine:
      case ScheduleStep::Kind::kStep:
        peak = std::max({peak, st.a, st.b});
        break;
      case ScheduleStep::Kind::kPause:
        break;
    }
  }
  return peak;
}

std::string ConfigName(const DaemonConfig& c) {
  return c.path.empty() ? std::string("the built-in configuration") : c.path;
}

absl::Status CheckAllowed(const Plan& plan, const std::string& name, const DaemonConfig& c,
                          bool* external, std::optional<ResolvedAddress>* target) {
  auto refuse = [&](std::string_view what) {
    return absl::InvalidArgumentError(Cat(name, ": ", what, " (", ConfigName(c), ")"));
  };
  const std::string& nib = plan.target.nib;
  if (std::find(c.nibs.begin(), c.nibs.end(), nib) == c.nibs.end()) {
    std::string allowed;
    for (const std::string& n : c.nibs) {
      Append(&allowed, allowed.empty() ? "" : ", ", Quote(n));
    }
    return refuse(
        Cat("target.nib = ", Quote(nib), " is not allowed: [allow] nibs = [", allowed, "]"));
  }
  *external = !nib.empty() && nib.front() == '/';
  ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(plan.target.address));
  const int socktype = nib == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  absl::StatusOr<ResolvedAddress> addr = Resolve(hp, plan.target.family, socktype);
  if (!addr.ok()) {
    return refuse(Cat("target.address = ", Quote(plan.target.address), ": ",
                      addr.status().message(), "; the allowlist cannot be checked"));
  }
  if (!c.allow.Allows(addr->addr)) {
    return refuse(Cat("target.address = ", Quote(plan.target.address), " (", addr->text,
                      ") is outside the allowlist: [allow] targets = ", c.allow.Text()));
  }
  *target = *addr;
  if (c.max_instances > 0 && plan.load.instances > c.max_instances) {
    return refuse(Cat("load.instances = ", plan.load.instances,
                      " is above the cap: [allow] max_instances = ", c.max_instances));
  }
  if (c.max_rps > 0) {
    if (plan.load.model == LoadModel::kStpd) {
      return refuse(Cat("load.model = \"stpd\": the planned rate is not known before the ammo ",
                        "is read, and [allow] max_rps = ", c.max_rps, " is set"));
    }
    if (plan.load.model == LoadModel::kRps) {
      ASSIGN_OR_RETURN(Schedule s, Schedule::Parse(plan.load.schedule, plan.load.model));
      if (const double peak = PeakRps(s); peak > static_cast<double>(c.max_rps)) {
        return refuse(Cat("load.schedule = ", Quote(plan.load.schedule), " plans ", peak,
                          " rps at its peak, above the cap: [allow] max_rps = ", c.max_rps));
      }
    }
  }
  if (c.max_duration_ns > 0) {
    const int64_t d = PlannedDurationNs(plan);
    if (d == 0) {
      return refuse(Cat("the run's length is not known before the ammo is read (set ",
                        "load.duration), and [allow] max_duration = \"",
                        FormatDuration(c.max_duration_ns), "\" is set"));
    }
    if (d > c.max_duration_ns) {
      return refuse(Cat("the run would fire for ", FormatDuration(d),
                        " (load.schedule / load.duration), above the cap: [allow] max_duration "
                        "= \"",
                        FormatDuration(c.max_duration_ns), "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int64_t PlannedDurationNs(const Plan& plan) {
  int64_t d = 0;
  if (plan.load.model != LoadModel::kStpd) {
    absl::StatusOr<Schedule> s = Schedule::Parse(plan.load.schedule, plan.load.model);
    if (s.ok()) {
      d = s->duration_ns();
    }
  }
  if (plan.load.duration_ns > 0 && (d == 0 || plan.load.duration_ns < d)) {
    d = plan.load.duration_ns;
  }
  return d;
}

absl::StatusOr<CheckedJob> CheckJob(const std::string& text, const std::string& name, bool tank,
                                    const DaemonConfig& config) {
  CheckedJob job;
  if (tank) {
    ASSIGN_OR_RETURN(TankImport imported, TankYamlToPlan(text, name));
    job.plan_text = FormatPlanToml(imported.plan);
  } else {
    job.plan_text = text;
  }
  ASSIGN_OR_RETURN(job.plan, LoadPlanText(job.plan_text, name, {}));
  RETURN_IF_ERROR(CheckAllowed(job.plan, name, config, &job.external_nib, &job.target));
  return job;
}

}  // namespace incarne::control
