// The launcher: one run of a plan, from validation to the final summary (docs/design.md §5,
// §8), as a library that `incarne run`, the phantom drop-in and a daemon all drive.
//
//   ASSIGN_OR_RETURN(auto launcher, Launcher::Prepare(options));  // validates; writes nothing
//   RETURN_IF_ERROR(launcher->Open());   // run dir, plan.toml, incarne.log, ammo, workers
//   launcher->Run();                     // returns when done or stopped
//   LaunchResult result = launcher->Finish();  // hits, stats.jsonl, summary.json
//
// Stages, so that bad input is refused before anything is written or fired:
//   Prepare  the plan (overrides applied), the schedule, --start-at, the nib and its
//            configuration, the ammo's presence, the shard; resolves the target name;
//   Open     creates the run directory (plan.toml, incarne.log), compiles the ammo into it (or
//            uses a given .ammo as it is), sets up the workers (io_uring probe, slots,
//            buffers) and the collector, and fixes the origin; any failure removes the run
//            directory again;
//   Run      releases the workers at the origin and waits for them, relaying stop requests
//            and calling on_progress about once a second;
//   Finish   finishes the collector (hits, stats.jsonl, summary.json) and returns the result.
// Prepare, Open, Run and Finish are called once each, in order, on one control thread.
// RequestStop may be called from any thread at any time (a signal thread, a daemon's socket).
//
// The library prints nothing and touches no process-wide state: signals, $GRACEFUL, the live
// line and the report belong to its caller (src/cli/launch_cli.h for the command line). The
// caller must keep SIGPIPE ignored while a run is open (a sendfile(2) to a peer that closed
// raises it) and must block SIGINT/SIGTERM in the threads Open starts if it handles them
// itself (Open's threads inherit the calling thread's mask).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/target.h"
#include "engine/worker.h"
#include "plan/schedule.h"
#include "results/stats.h"

namespace incarne {

// Where a run stands, for a live line or a status file.
struct LaunchProgress {
  int64_t elapsed_ns = 0;  // since the origin; negative while waiting for it
  int64_t planned_ns = 0;  // the planned length of firing (Launcher::planned_ns)
  int stop_level = 0;      // the stop asked for so far (0 none, 1 drain, 2 now)
  uint64_t hits = 0;       // records collected so far (approximate)
};

struct LaunchOptions {
  std::string plan_path;
  // When set, the plan's TOML text (a plan built by the phantom drop-in or the Tank import,
  // e.g. with FormatPlanToml); plan_path then only names it in messages and {name}.
  std::optional<std::string> plan_text;
  // When set, the requests of a one-line run (`incarne run URL ...`, phantom-format ammo
  // text): written into the run directory as ammo.txt, which the plan's ammo.file then names
  // (absolute) in plan.toml, so the run directory re-runs as it is.
  std::optional<std::string> ammo_text;
  // When set, target.address as the caller resolved and checked it (the daemon's allowlist):
  // the run connects there without resolving the name again, so what was checked is what is
  // loaded. target.address must still parse (it names the Host and SNI).
  std::optional<ResolvedAddress> target;
  std::vector<std::string> overrides;  // --set KEY=VALUE
  std::string out_dir;                 // --out: replaces results.dir
  uint32_t shard = 0;                  // --shard K/N
  uint32_t shards = 1;
  // --start-at: the origin is this wall-clock time. Prepare refuses one more than
  // kStartAtSlackNs in the past or more than kStartAtAheadNs ahead (docs/engine.md).
  bool has_start_at = false;
  int64_t start_at_unix_ns = 0;
  uint64_t ring_capacity = 0;  // records per worker ring; 0 = automatic
  // External nibs (target.nib = a .so path, dlopen'ed into this process). `incarne run`
  // allows them; a daemon sets this from its own configuration, and a plan naming one is then
  // refused (exit 2) before anything is loaded (docs/nibs.md).
  bool allow_external_nibs = true;
  // Phantom drop-in (src/tank/phantom_runner.cc): phout (with results.phout) and answ written at
  // these paths instead of the run directory, opened O_APPEND and not truncated (the caller
  // creates them; several processes may share them); the answ level given as phantom's
  // finer filter instead of results.answ. on_second: a callback per finished second
  // (collector thread, and the thread of Finish for the last ones).
  std::string phout_path;
  std::string answ_path;
  std::optional<AnswFilter> answ_filter;
  std::function<void(const SecondStats&)> on_second;
  // Called by Run on its thread about once a second (on the origin's second boundaries),
  // from Run's start until the workers are done, also while waiting for a future origin.
  std::function<void(const LaunchProgress&)> on_progress;
};

// --start-at bounds (docs/engine.md "Start time"): an origin up to 60 s in the past is taken
// (shards started a little late fire the missed shots at once, late); further back, or more
// than a day ahead, is refused as a mistake.
inline constexpr int64_t kStartAtSlackNs = 60'000'000'000;
inline constexpr int64_t kStartAtAheadNs = 86'400'000'000'000;

struct LaunchResult {
  int exit_code = 0;   // 0 done (also after a stop), 1 run failed, 3 stopped by autostop
  absl::Status error;  // why exit_code is 1 (e.g. a write error, disk full)
  std::string run_dir;
  int stop_level = 0;         // the stop asked for (0 none: the plan ran to its end)
  uint64_t answ_written = 0;  // answ log entries written
  uint64_t answ_dropped = 0;  // answ entries lost to full answ rings
  WorkerStats totals;
  RunSummary summary;
};

class Launcher {
 public:
  // Validates everything that can be validated without writing anything (see above). Errors
  // are bad input (InvalidArgument, NotFound, FailedPrecondition, OutOfRange: exit 2) or
  // not (e.g. an unresolvable target: exit 1); nothing is created either way.
  static absl::StatusOr<std::unique_ptr<Launcher>> Prepare(const LaunchOptions& options);
  ~Launcher();  // stops (level 2) and joins whatever is still running
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // Creates the run directory and everything in it, starts the workers (waiting at the
  // gate) and the collector, and fixes the origin. On error the run directory is removed
  // again. Without --start-at the origin is a few ms after Open returns: call Run at once.
  absl::Status Open();
  // Valid after Open succeeded.
  const std::string& run_dir() const;
  // The origin, wall clock (unix ns); valid after Open succeeded.
  int64_t origin_unix_ns() const;
  // The planned length of firing (the schedule's, the stpd's last planned time, or
  // load.duration when shorter); 0 when unknown (instances capped by hits only).
  int64_t planned_ns() const;
  // The ammo's tag names by tag id (SecondStats::tags, RunMeta::tags; [0] = "" untagged);
  // valid after Open succeeded. For a caller that labels per-tag figures (the daemon's
  // metrics).
  std::vector<std::string> tags() const;

  // Releases the workers and returns once every one is done (the plan ran out or a stop was
  // asked for). A stop asked for before Run ends it at once, without firing.
  void Run();
  // Any thread, any time after Prepare: 1 = stop firing, let hits in flight finish (up to
  // target.timeout); 2 = stop now (hits in flight are recorded as ECANCELED). Never lowers
  // the level. `reason` (e.g. "SIGTERM") goes into incarne.log.
  void RequestStop(int level, std::string_view reason);
  // Drains and closes the results; the run directory then holds a complete run.
  LaunchResult Finish();

  class Impl;

 private:
  explicit Launcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "runs/{time}" → "runs/2024-05-01_12-30-00"; also {shard} (K) and {name} (the plan file's
// name without extension). `unix_s` is the wall-clock second used for {time} (local time).
std::string ExpandRunDir(const std::string& tmpl, int64_t unix_s, uint32_t shard,
                         const std::string& plan_path);

// Result-ring records per worker when LaunchOptions::ring_capacity is 0 (docs/engine.md
// "Workers"): for the rps model 4 s of the schedule's peak rate per worker plus the instances
// and the largest `once` burst, a power of two in [2^14, 2^18]; 2^18 for stpd (no rate bound
// known in advance); 2^14 for the instances model, whose workers wait for room rather than
// lose a raw record (the stats do not go through the ring).
uint64_t AutoRingCapacity(LoadModel model, const Schedule& schedule, uint64_t instances,
                          uint32_t workers);

}  // namespace incarne
