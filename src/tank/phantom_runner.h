// The phantom drop-in's run side (docs/phantom.md): one child process per io_benchmark_t
// stream, each running Launch with its stream's plan (load.model = "stpd") and appending whole
// phout and answ lines to the files the config names; each child reports every finished second
// through a pipe. This process writes the stat log and the phantom log (phantom_logs.h), relays
// SIGINT/SIGTERM, and stops the other streams when the first one ends (Tank: "test ends when
// any stream ends").
//
// No orphan load: a child dies with this process (PR_SET_PDEATHSIG, re-checked against the
// parent's pid after fork) and takes a closed report pipe as a stop request, like SIGTERM.
// Control plane only.
#pragma once

#include <signal.h>

#include "absl/status/statusor.h"
#include "engine/launcher.h"
#include "tank/phantom_streams.h"

namespace incarne::tank {

// How a stream child runs its plan: the command line's front end of the launcher
// (src/cli/launch_cli.h: SIGINT/SIGTERM become stop requests, the report goes to stdout), so
// that this room stays below the CLI. A child stops as on SIGTERM when the parent dies
// (PR_SET_PDEATHSIG) or its report pipe closes (it signals itself).
using StreamLaunchFn = absl::StatusOr<LaunchResult> (*)(LaunchOptions options);

// Runs every stream of `run` (checked by LoadPhantomRun). The caller blocks `stop_signals`
// (SIGINT, SIGTERM, SIGCHLD) before reading the config, so that a stop request that arrives
// meanwhile is not lost; they are read here through a signalfd.
// A Status when nothing was started (an output or a run directory could not be prepared; also
// written to the phantom log); otherwise the exit code: 0 every stream ended well (also after
// SIGINT/SIGTERM), 2 a stream refused its input, 1 any other failure.
absl::StatusOr<int> RunPhantomStreams(const PhantomRun& run, const sigset_t& stop_signals,
                                      StreamLaunchFn launch);

}  // namespace incarne::tank
