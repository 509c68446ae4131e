// `incarne run`: one run of a plan, from validation to the final report (docs/design.md §5, §8).
//
// Order, so that bad input is refused before anything is written or fired:
//   1. load and validate the plan (overrides applied), the schedule, the nib and its
//      configuration, the ammo's presence, the shard; resolve the target name;
//   2. create the run directory (plan.toml, incarne.log), compile the ammo into it (or use a
//      given .ammo as it is), set up the workers (io_uring probe, slots, buffers);
//      any failure here removes the run directory again;
//   3. start the collector, release the workers at the origin, relay SIGINT/SIGTERM (first:
//      stop firing and drain; second: stop now), finish the collector (hits, stats.jsonl,
//      summary.json) and print the report.
// Control plane; runs on the calling thread. SIGINT and SIGTERM are blocked for the whole
// process while it runs (the workers and the collector inherit the mask) and handled here.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/worker.h"
#include "plan/schedule.h"
#include "results/stats.h"

namespace incarne {

struct LaunchOptions {
  std::string plan_path;
  // When set, the plan's TOML text (a plan built by the phantom drop-in or the Tank import,
  // e.g. with FormatPlanToml); plan_path then only names it in messages and {name}.
  std::optional<std::string> plan_text;
  std::vector<std::string> overrides;  // --set KEY=VALUE
  std::string out_dir;                 // --out: replaces results.dir
  uint32_t shard = 0;                  // --shard K/N
  uint32_t shards = 1;
  bool has_start_at = false;           // --start-at: the origin is this wall-clock time
  int64_t start_at_unix_ns = 0;
  FILE* out = stdout;                  // the report
  FILE* err = stderr;                  // messages and the live line
  bool live = true;                    // print the live line each second
  bool live_tty = false;               // rewrite it in place
  uint64_t ring_capacity = 0;          // records per worker ring; 0 = automatic
  // External nibs (target.nib = a .so path, dlopen'ed into this process). `incarne run`
  // allows them; a daemon sets this from its own configuration, and a plan naming one is then
  // refused (exit 2) before anything is loaded (docs/nibs.md).
  bool allow_external_nibs = true;
  // Taurus' stop file ($GRACEFUL, set by `incarne run` from the environment): when a file
  // exists at this path the run stops exactly as on the first SIGTERM. Checked with one
  // stat() per pass of the signal wait (at most every 50 ms); "" = not watched.
  std::string graceful_path;
  // Phantom drop-in (src/cli/phantom.cc): phout (with results.phout) and answ written at
  // these paths instead of the run directory, opened O_APPEND and not truncated (the caller
  // creates them; several processes may share them); the answ level given as phantom's
  // finer filter instead of results.answ; a callback per finished second (collector thread,
  // and the thread of Launch for the last ones).
  std::string phout_path;
  std::string answ_path;
  std::optional<AnswFilter> answ_filter;
  std::function<void(const SecondStats&)> on_second;
};

struct LaunchResult {
  int exit_code = 0;                   // 0 done (also after a signal), 1 run failed
  std::string run_dir;
  int signals = 0;                     // SIGINT/SIGTERM received while running
  uint64_t answ_written = 0;           // answ log entries written
  uint64_t answ_dropped = 0;           // answ entries lost to full answ rings
  WorkerStats totals;
  RunSummary summary;
};

// Errors before the first shot come back as a Status (exit 2 for bad input: InvalidArgument,
// NotFound, FailedPrecondition; exit 1 otherwise, e.g. an unresolvable target) and leave no
// run directory behind. Once shots were fired the result is a LaunchResult.
absl::StatusOr<LaunchResult> Launch(const LaunchOptions& options);

// "runs/{time}" → "runs/2024-05-01_12-30-00"; also {shard} (K) and {name} (the plan file's
// name without extension). `unix_s` is the wall-clock second used for {time} (local time).
std::string ExpandRunDir(const std::string& tmpl, int64_t unix_s, uint32_t shard,
                         const std::string& plan_path);

// Result-ring records per worker when LaunchOptions::ring_capacity is 0 (docs/engine.md
// "Workers"): for the rps model 4 s of the schedule's peak rate per worker plus the instances
// and the largest `once` burst, a power of two in [2^14, 2^18]; 2^18 for the other models
// (instances, stpd: no rate bound known in advance).
uint64_t AutoRingCapacity(LoadModel model, const Schedule& schedule, uint64_t instances,
                          uint32_t workers);

}  // namespace incarne
