// `incarne status` — the daemon's status file for a person, or as JSON (docs/daemon.md).
//   incarne status
//   incarne status --json --config config/incarned.toml
#include "absl/status/status.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "cli/cli_common.h"
#include "control/daemon_config.h"
#include "control/status_view.h"

namespace incarne::cli {
namespace {

constexpr char kUsage[] =
    "usage: incarne status [--json] [--config FILE | --file STATUS.json]\n"
    "\n"
    "Prints the daemon's status file: its state, the running job (elapsed, shots, hits,\n"
    "errors, the last second's rps and p99), the queue and the last job's result.\n"
    "\n"
    "  --json          print the status file itself (one JSON object, docs/daemon.md)\n"
    "  --config FILE   the daemon's configuration, for its `status` path (default\n"
    "                  /etc/incarne/incarned.toml, else /run/incarne/status.json)\n"
    "  --file PATH     the status file itself\n"
    "\n"
    "Exit status: 0 printed, 1 no status file or not readable, 2 bad arguments or\n"
    "configuration. A status older than 5 s is printed with a warning (the daemon may be\n"
    "gone).\n";

}  // namespace

int RunStatus(int argc, char** argv) {
  Args args(argc, argv);
  args.Flag("json");
  args.Value("config", 'c');
  args.Value("file");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("status", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (!args.positional().empty() || (args.Has("config") && args.Has("file"))) {
    return Fail("status", absl::InvalidArgumentError(
                              "usage: incarne status [--json] [--config FILE | --file PATH]"));
  }
  std::string path = args.Get("file");
  if (path.empty()) {
    std::string config = args.Get("config");
    if (config.empty() && access(control::kDefaultConfigPath, F_OK) == 0) {
      config = control::kDefaultConfigPath;
    }
    absl::StatusOr<control::DaemonConfig> c = control::LoadDaemonConfig(config);
    if (!c.ok()) {
      return Fail("status", c.status());
    }
    path = c->status;
  }
  absl::StatusOr<std::string> text = control::ShowStatusFile(path, args.Has("json"));
  if (!text.ok()) {
    return Fail("status", text.status());
  }
  std::fputs(text->c_str(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailed;
}

}  // namespace incarne::cli
