// The collector: one thread that drains the workers' result rings into the run directory.
//
//   hits          raw records (all, errors only, or sampled: results.hits), docs/formats.md
//   aggregates    per-second, per-tag mergeable stats (histograms), docs/results.md
//   stats.jsonl   one JSON object per finished second (live tooling, Taurus)
//   summary.json  at Finish(): the same object `incarne report --json` prints
//   phout.log     when CollectorOptions::phout (Tank shootexec)
//   answ.log      when CollectorOptions::answ_rings are given (results.answ; src/results/answ.h)
//
// Seconds are seconds of *completion* time after the run origin. A second is written once the
// collector's clock is 250 ms past its end (workers publish their ring every loop pass, so
// later completions in it are all but impossible); records arriving later still go into the
// run totals and into the oldest second not yet written, counted as `late`.
//
// Thread contract: Start() and Finish() on the control thread; on_second: see below. Nothing here
// touches the producers' hot path: the collector reads their ring headers and resets inflight_max
// once per second. Text is formatted once per second, except phout.log (one line per hit, formatted
// on the collector thread when enabled).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plan/criterion.h"
#include "plan/plan.h"
#include "results/answ.h"
#include "results/result_ring.h"
#include "results/stats.h"

namespace incarne {

struct CollectorOptions {
  std::string run_dir;  // exists; the collector creates its files in it
  HitsKeep keep;        // plan.results.hits
  bool phout = false;   // plan.results.phout: also write phout.log
  // phout at this path instead of run_dir/phout.log (phantom drop-in: logger_brief_t). It is
  // opened with O_APPEND and not truncated — the caller creates it — and written in whole
  // lines, so several processes can share one phout. Also flushed once per second (Tank
  // tails it while the test runs).
  std::string phout_path;
  // answ.log: the workers' answ rings (empty: no answ log), drained like the result rings.
  std::vector<AnswRing*> answ_rings;
  // answ log at this path instead of run_dir/answ.log (O_APPEND, as phout_path).
  std::string answ_path;
  // The request bytes of ammo record r for answ.log (unset: requests are written empty).
  std::function<std::string_view(uint64_t record)> request_bytes;
  std::vector<std::string> tags;  // ammo tag table (tags[0] = ""); empty → {""}
  uint32_t shard = 0;
  uint32_t shards = 1;
  uint32_t workers = 1;
  int64_t origin_realtime_ns = 0;  // CLOCK_REALTIME at the run origin
  int64_t origin_mono_ns = 0;      // CLOCK_MONOTONIC at the origin (record times are relative)
  // Optional: shots planned with planned time < t (t in ns since the origin). Gives the exact
  // planned count per second; without it the workers' `shots_due` counters are used.
  std::function<uint64_t(int64_t t_ns)> planned_shots_by;
  // Called for every finished second, in order: on the collector thread, and for the seconds
  // still open at the end on the thread that calls Finish() (autostop, status file).
  std::function<void(const SecondStats&)> on_second;
  // Autostop (docs/autostop.md): criteria parsed with allow_window, evaluated on every
  // finished second before on_second. The first that fires goes into the summary and
  // RUN_DIR/autostop_report.txt, and on_autostop is called once with it (on the thread that
  // emits the second: the collector's, or Finish's for the last ones).
  std::vector<Criterion> autostop;
  uint64_t instances = 0;  // load.instances, for instances(N%)
  std::function<void(const AutostopVerdict&)> on_autostop;
  FILE* live = nullptr;   // live line destination (nullptr: none)
  bool live_tty = false;  // rewrite one line with \r instead of one per second
  // The drain period after a pass that found records; it doubles up to 8 times this while
  // passes find few (collector.cc kQuietPass), and a pass always runs at a second's boundary.
  int64_t poll_ns = 1000 * 1000;
};

class Collector {
 public:
  // Creates the files in run_dir and starts the thread. `rings` are not owned and must
  // outlive Finish(). Fails (nothing started) when a file cannot be created.
  static absl::StatusOr<std::unique_ptr<Collector>> Start(CollectorOptions options,
                                                          std::vector<ResultRing*> rings);
  ~Collector();  // joins the thread if Finish() was not called (files may be incomplete)

  // Call after every ring's MarkFinished(): drains what is left, writes every open second,
  // summary.json, closes the files. Returns the first write error (e.g. disk full) — the
  // aggregates stay complete in memory and in summary() even when the hits file failed.
  absl::Status Finish();

  // Valid after Finish().
  const RunSummary& summary() const;

  // The end of firing, ns since the origin (a stop, or a hard load.duration), any thread;
  // only ever lowered. Shots planned at or after it do not count as planned, and Finish()
  // writes no second past it that has no completions. Default: no end (the clock's second).
  void SetEnd(int64_t t_ns);

  // Approximate live figures for a status file (any thread).
  uint64_t hits_so_far() const;

  // answ.log entries written, and entries lost to full answ rings (valid after Finish()).
  uint64_t answ_written() const;
  uint64_t answ_dropped() const;

  class Impl;

 private:
  explicit Collector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The final human report of a run directory (`incarne report`, and `incarne run` at its end),
// or with json = true the object of docs/design.md §5 (also summary.json). Reads `aggregates` and
// the hits header; NotFound/InvalidArgument for a missing or corrupt run directory. Warnings
// (a truncated last record or block of a crashed run) are printed to stderr.
absl::StatusOr<std::string> RenderReport(const std::string& run_dir, bool json);
// The same from totals already in memory.
std::string RenderReport(const RunSummary& summary, bool json);

}  // namespace incarne
