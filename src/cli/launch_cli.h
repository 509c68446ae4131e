// The command line's side of a run: what the launcher library (src/engine/launcher.h) leaves
// to its caller. `incarne run` and the phantom drop-in's stream children both use it.
//
//   SIGINT/SIGTERM  blocked in every thread for the whole run and taken by one relay thread
//                   (sigtimedwait): the first asks the launcher to stop firing and drain, a
//                   second to stop now; the messages go to stderr;
//   $GRACEFUL       Taurus' stop file: when it appears, it counts as the first SIGTERM;
//   SIGPIPE         ignored while the run is open (sendfile to a peer that closed);
//   the live line   one per finished second, and a countdown while waiting for a future
//                   origin; rewritten in place on a terminal, plain lines otherwise;
//   the report      printed at the end.
// The old signal mask and SIGPIPE disposition are restored when LaunchFromCli returns;
// signals still pending then are dropped, not delivered.
#pragma once

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/status/statusor.h"
#include "engine/launcher.h"

namespace incarne::cli {

struct CliLaunchOptions {
  FILE* out = stdout;     // the report (nullptr: not printed)
  FILE* err = stderr;     // messages and the live line
  bool live = true;       // print the live line
  bool live_tty = false;  // rewrite it in place (stderr is a terminal)
  // Taurus' stop file ($GRACEFUL): checked with one stat() every 50 ms; "" = not watched.
  std::string graceful_path;
  // Set by the caller (e.g. from an on_second callback) to stop the run gracefully, as a first
  // SIGTERM would; checked every 50 ms. stop_reason goes to stderr and incarne.log.
  const std::atomic<bool>* stop_flag = nullptr;
  std::string stop_reason;
};

// Prepare, Open, Run and Finish one run with the above around it. Errors of Prepare and Open
// come back as the Status (nothing was fired; the run directory is gone again); once the run
// was opened the result is a LaunchResult (exit_code 1 when writing failed).
absl::StatusOr<LaunchResult> LaunchFromCli(LaunchOptions options, const CliLaunchOptions& cli);

}  // namespace incarne::cli
