// `incarne daemon`: runs the jobs queued in a spool, one at a time, through the launcher
// (src/engine/launcher.h), with the status file, the Prometheus textfile and systemd's
// notifications (docs/daemon.md). The CLI front end is src/cli/daemon.cc.
//
// One control thread polls a signalfd (SIGTERM, SIGINT, SIGHUP), an inotify watch of the spool
// (hints only: the spool is rescanned on every event and on overflow), a 1 s timerfd (status,
// metrics, STATUS=, WATCHDOG=1) and an eventfd the job thread signals when its run ends. A job
// is validated on the control thread (as `incarne check` does, then the allowlist and caps)
// before anything is created; Open, Run and Finish run on the job thread.
#pragma once

#include <cstdio>
#include <string>

namespace incarne::control {

struct DaemonOptions {
  std::string config_path;  // "" = the built-in defaults
  bool once = false;        // drain the queue and exit instead of watching the spool
  FILE* log = stderr;       // one line per event (journald takes stderr under systemd)
};

// Returns the process exit code: 0 after a clean stop (SIGTERM, --once drained), 2 for a bad
// configuration, 1 when the spool cannot be used.
int RunDaemon(const DaemonOptions& options);

}  // namespace incarne::control
