// `incarne phantom check|run PHANTOM.conf` — the phantom drop-in for Yandex.Tank and Taurus
// (docs/phantom.md). Also reached as `phantom check|run ...` through a link named `phantom`
// (src/main.cc). Argument parsing only; the drop-in lives in src/tank/.
//
// check: reads the config subset Tank/Taurus generate, refuses what incarne cannot honour,
//   parses every stpd file, builds and validates one plan per stream (tank/phantom_streams.h);
//   exit 0 and nothing on stderr when it would run; otherwise "FILE:LINE:COL: ..." on stderr
//   and exit 2 (Tank aborts on a non-zero exit or any stderr output).
// run: the same checks, then one child process per stream (tank/phantom_runner.h).
#include <signal.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_common.h"
#include "cli/launch_cli.h"
#include "tank/phantom_runner.h"
#include "tank/phantom_streams.h"

namespace incarne::cli {
namespace {

constexpr char kUsage[] =
    "usage: incarne phantom check PHANTOM.conf\n"
    "       incarne phantom run PHANTOM.conf\n"
    "\n"
    "The phantom drop-in for Yandex.Tank and Taurus (also run as `phantom check|run ...`\n"
    "through a link named phantom). Reads the phantom.conf subset Tank and Taurus generate:\n"
    "io_benchmark_t streams (several = Tank's multi), method_stream_ipv4_t/_ipv6_t, address,\n"
    "port, timeout, instances, bind, source_log_t (stpd), logger_brief_t (phout),\n"
    "logger_default_t (answ log), io_monitor_t (stat log), logger_file_t (phantom log).\n"
    "\n"
    "  check   exit 0 and print nothing when the config would run; else FILE:LINE:COL: ...\n"
    "          on stderr and exit 2\n"
    "  run     run every stream; writes phout, the stat log, the answ log and the phantom log\n"
    "          where the config says; each stream's run directory is <phout>.incarne/<stream>\n"
    "          (docs/phantom.md). Exit 0 when done (also after SIGTERM/SIGINT), 1 on failure,\n"
    "          2 on bad input. The streams stop when this process dies.\n";

// A stream child's run: the launcher with the command line's signal handling, no live line;
// the report on stdout and the run directory line on stderr (Tank keeps both).
absl::StatusOr<LaunchResult> LaunchStream(LaunchOptions options) {
  CliLaunchOptions cli;
  cli.live = false;
  return LaunchFromCli(std::move(options), cli);
}

}  // namespace

int RunPhantom(int argc, char** argv) {
  Args args(argc, argv);
  if (absl::Status st = args.Parse(); !st.ok()) {
    fprintf(stderr, "%s", kUsage);
    return Fail("phantom", st);
  }
  if (args.help()) {
    fputs(kUsage, stdout);
    return kExitOk;
  }
  const std::vector<std::string>& pos = args.positional();
  if (pos.size() != 2 || (pos[0] != "check" && pos[0] != "run")) {
    fputs(kUsage, stderr);
    return kExitBadInput;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  if (pos[0] == "run") {
    // From the start, so that a stop request that arrives while the config is read is not
    // lost and still ends in exit 0.
    sigprocmask(SIG_BLOCK, &set, nullptr);
  }
  // Tank sets OPENSSL_CONF=/dev/null for phantom; incarne does not read it (docs/phantom.md).
  absl::StatusOr<tank::PhantomRun> loaded = tank::LoadPhantomRun(pos[1]);
  if (!loaded.ok()) {
    return Fail("phantom", loaded.status());
  }
  if (pos[0] == "check") {
    return kExitOk;
  }
  absl::StatusOr<int> code = tank::RunPhantomStreams(*loaded, set, &LaunchStream);
  if (!code.ok()) {
    return Fail("phantom", code.status());
  }
  return *code;
}

}  // namespace incarne::cli
