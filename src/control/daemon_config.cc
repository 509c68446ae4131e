#include "control/daemon_config.h"

#include <algorithm>
#include <span>

#include "nibs/nib_names.h"
#include "plan/toml_config.h"
#include "util/status.h"
#include "util/strings.h"

namespace incarne::control {
namespace {

std::string CheckFolder(std::string* s) {
  if (s->empty() || s->front() != '/') {
    return "expected an absolute path";
  }
  return "";
}

std::string CheckOptionalPath(std::string* s) { return s->empty() ? "" : CheckFolder(s); }

std::string CheckTarget(std::string* s) { return Allowlist::CheckRule(*s); }

std::string CheckNib(std::string* s) {
  if (std::find(kBuiltinNibNames.begin(), kBuiltinNibNames.end(), *s) != kBuiltinNibNames.end()) {
    return "";
  }
  if (s->size() > 4 && s->front() == '/' && s->ends_with(".so")) {
    return "";
  }
  std::string names;
  for (std::string_view n : kBuiltinNibNames) {
    Append(&names, names.empty() ? "" : ", ", Quote(n));
  }
  return Cat("expected a built-in nib (", names, ") or the absolute path of a nib plugin .so");
}

}  // namespace

absl::StatusOr<DaemonConfig> LoadDaemonConfig(const std::string& path) {
  DaemonConfig c;
  const ConfigKey keys[] = {
      {"", "spool", &c.spool, CheckFolder},
      {"", "runs", &c.runs, CheckFolder},
      {"", "status", &c.status, CheckOptionalPath},
      {"", "metrics", &c.metrics, CheckOptionalPath},
      {"allow", "targets", &c.targets, CheckTarget},
      {"allow", "nibs", &c.nibs, CheckNib},
      {"allow", "max_rps", &c.max_rps},
      {"allow", "max_instances", &c.max_instances},
      {"allow", "max_duration", ConfigDuration{&c.max_duration_ns}},
      {"retention", "keep_runs", &c.keep_runs},
      {"retention", "keep_gib", &c.keep_gib},
  };
  if (!path.empty()) {
    RETURN_IF_ERROR(ReadConfigFile(path, "daemon configuration", keys));
  }
  ASSIGN_OR_RETURN(c.allow, Allowlist::Parse(c.targets));
  c.path = path;
  return c;
}

}  // namespace incarne::control
