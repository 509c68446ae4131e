// `incarne daemon` — run the jobs queued in a spool (docs/daemon.md; src/control/daemon.h).
//   incarne daemon                                   (/etc/incarne/incarned.toml)
//   incarne daemon --config config/incarned.toml --once
#include "control/daemon.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "cli/cli_common.h"
#include "control/daemon_config.h"

namespace incarne::cli {
namespace {

constexpr char kUsage[] =
    "usage: incarne daemon [--config FILE] [--once]\n"
    "\n"
    "Runs the plans queued in the spool, one at a time, oldest first: a plan NAME.toml (or a\n"
    "Yandex.Tank config NAME.yaml) renamed into the spool is claimed into active/, checked as\n"
    "`incarne check` does plus the [allow] list and caps, run into runs/NAME-{time}/, and moved\n"
    "to done/ with NAME.result.json, or to rejected/ with NAME.why. spool/STOP stops the\n"
    "current run gracefully. The status file is replaced once a second (`incarne status`).\n"
    "\n"
    "  --config FILE   the configuration (default /etc/incarne/incarned.toml when it exists,\n"
    "                  else the built-in defaults; every key: docs/daemon.md)\n"
    "  --once          run what is queued, then exit (no inotify watch)\n"
    "\n"
    "SIGTERM/SIGINT: stop the current run gracefully (a second one: at once), then exit 0.\n"
    "SIGHUP: read the configuration again between runs (a bad one is logged and the old one\n"
    "kept). Under systemd (Type=notify): READY=1, STATUS= each second, WATCHDOG=1, STOPPING=1.\n"
    "\n"
    "Exit status: 0 stopped or drained, 1 the spool cannot be used, 2 bad configuration.\n";

}  // namespace

int RunDaemon(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("config", 'c');
  args.Flag("once");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("daemon", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (!args.positional().empty()) {
    return Fail("daemon", absl::InvalidArgumentError(
                              "no positional arguments: incarne daemon [--config FILE] [--once]"));
  }
  control::DaemonOptions o;
  if (args.Has("config")) {
    o.config_path = args.Get("config");
    if (o.config_path.empty()) {
      return Fail("daemon", absl::InvalidArgumentError("--config: expected a file"));
    }
  } else if (access(control::kDefaultConfigPath, F_OK) == 0) {
    o.config_path = control::kDefaultConfigPath;
  }
  o.once = args.Has("once");
  return control::RunDaemon(o);
}

}  // namespace incarne::cli
