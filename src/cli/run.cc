// `incarne run` — one run of a plan (docs/design.md §5; docs/engine.md), driven through
// src/cli/launch_cli.h (signals, $GRACEFUL, the live line, the report).
//   incarne run config/dummy.toml
//   incarne run config/sink.toml --set 'load.schedule=const(500,10s)' --out runs/try1
//   incarne run plan.toml --shard 0/4 --start-at 1767225600      (one of four shards)
//   incarne run --tank load.yaml        (the phantom: section of a Yandex.Tank config)
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/capacity_run.h"
#include "cli/cli_common.h"
#include "cli/launch_cli.h"
#include "engine/launcher.h"
#include "plan/plan_loader.h"
#include "tank/tank_yaml.h"

namespace incarne::cli {
namespace {

constexpr char kUsage[] =
    "usage: incarne run PLAN.toml [--set KEY=VALUE]... [--out DIR] [--shard K/N]\n"
    "                   [--start-at UNIX_SECONDS]\n"
    "       incarne run --tank LOAD.yaml [same options]\n"
    "\n"
    "Runs the plan: validates it (nothing is written or fired when anything is wrong),\n"
    "creates the run directory (plan.toml, hits, stats.jsonl, summary.json, incarne.log),\n"
    "fires the schedule, prints a live line each second on stderr and the report at the end.\n"
    "\n"
    "  --tank LOAD.yaml  instead of PLAN.toml: run the phantom: section of a Yandex.Tank\n"
    "                    config (docs/tank.md); phout.log is always written; --set applies\n"
    "                    on top of the converted plan\n"
    "  --set KEY=VALUE   override one plan key (as in `incarne check`); may repeat\n"
    "  --out DIR         the run directory (default: results.dir, {time} expanded); it must\n"
    "                    not exist or be empty\n"
    "  --shard K/N       fire only the global shots i with i mod N = K (0 <= K < N)\n"
    "  --start-at T      the run's origin is wall-clock time T (unix seconds, may have a\n"
    "                    fraction), so that shards on several boxes share one timeline;\n"
    "                    at most 60 s in the past and a day ahead (the live line counts down)\n"
    "\n"
    "SIGINT/SIGTERM: stop firing, let hits in flight finish (up to target.timeout), write\n"
    "everything, exit 0. A second signal stops at once (hits in flight are recorded as\n"
    "ECANCELED) and still leaves a readable run directory. With GRACEFUL=<path> in the\n"
    "environment (Taurus), the file appearing at <path> counts as the first SIGTERM.\n"
    "\n"
    "Exit status: 0 done (also after a signal), 1 the run failed (e.g. the target name does\n"
    "not resolve, disk full), 2 bad input (usage, plan, ammo, schedule; nothing was started).\n";

absl::Status ParseShard(const std::string& text, uint32_t* k, uint32_t* n) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos || !absl::SimpleAtoi(text.substr(0, slash), k) ||
      !absl::SimpleAtoi(text.substr(slash + 1), n) || *n == 0 || *k >= *n) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard \"", text, "\": expected K/N with 0 <= K < N, e.g. 0/4"));
  }
  return absl::OkStatus();
}

}  // namespace

int RunRun(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("set");
  args.Value("out", 'o');
  args.Value("shard");
  args.Value("start-at");
  args.Value("tank");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("run", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  const bool tank = args.Has("tank");
  if (tank && !args.positional().empty()) {
    return Fail("run", absl::InvalidArgumentError(
                           "--tank LOAD.yaml replaces PLAN.toml: give one of them (see --help)"));
  }
  if (!tank && args.positional().size() != 1) {
    return Fail("run", absl::InvalidArgumentError(
                           "expected one plan file: incarne run PLAN.toml (see --help)"));
  }
  LaunchOptions o;
  if (tank) {
    o.plan_path = args.Get("tank");
    if (o.plan_path.empty()) {
      return Fail("run", absl::InvalidArgumentError("--tank: expected a Tank YAML file"));
    }
    absl::StatusOr<TankImport> imported = LoadTankYamlFile(o.plan_path);
    if (!imported.ok()) {
      return Fail("run", imported.status());
    }
    for (const std::string& note : imported->notes) {
      std::fprintf(stderr, "incarne run: %s: %s\n", o.plan_path.c_str(), note.c_str());
    }
    o.plan_text = FormatPlanToml(imported->plan);
  } else {
    o.plan_path = args.positional()[0];
  }
  CliLaunchOptions cli;
  if (const char* graceful = std::getenv("GRACEFUL"); graceful != nullptr && *graceful != 0) {
    cli.graceful_path = graceful;
  }
  o.overrides = args.GetAll("set");
  o.out_dir = args.Get("out");
  if (args.Has("out") && o.out_dir.empty()) {
    return Fail("run", absl::InvalidArgumentError("--out: expected a directory"));
  }
  if (args.Has("shard")) {
    if (absl::Status st = ParseShard(args.Get("shard"), &o.shard, &o.shards); !st.ok()) {
      return Fail("run", st);
    }
  }
  if (args.Has("start-at")) {
    double t = 0;
    const std::string text = args.Get("start-at");
    if (!absl::SimpleAtod(text, &t) || !std::isfinite(t) || t <= 0) {
      return Fail("run", absl::InvalidArgumentError(absl::StrCat(
                             "--start-at \"", text, "\": expected unix seconds, e.g. 1767225600")));
    }
    // Nanoseconds in an int64 end in 2262; the launcher then bounds it near now.
    if (t >= 9.2e9) {
      return Fail("run", absl::InvalidArgumentError(
                             absl::StrCat("--start-at \"", text,
                                          "\": does not fit in 64-bit nanoseconds (at most "
                                          "9200000000)")));
    }
    o.has_start_at = true;
    o.start_at_unix_ns = static_cast<int64_t>(std::llround(t * 1e9));
  }
  cli.live_tty = isatty(STDERR_FILENO) != 0;
  // load.model = "find-max" | "usl": the capacity finder drives the steps (docs/capacity.md).
  if (std::optional<int> code = MaybeRunCapacity(o, cli); code.has_value()) {
    return *code;
  }
  absl::StatusOr<LaunchResult> r = LaunchFromCli(std::move(o), cli);
  if (!r.ok()) {
    return Fail("run", r.status());
  }
  return r->exit_code;
}

}  // namespace incarne::cli
