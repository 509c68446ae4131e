// Mergeable aggregates of hit records: per tag and overall, per second and per run.
//
// Everything here merges exactly (counters add, histograms add, min/max combine), so the
// stats of a merged run equal the stats of the union of the records (docs/design.md §1 "results
// merge exactly"). Built by the collector thread and by the tools; not thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "plan/plan.h"
#include "results/histogram.h"
#include "results/hit_record.h"

namespace incarne {

// Counts per code (HTTP status or net code). A run meets a handful of distinct codes, so a
// small vector with a linear scan beats a map; it only allocates when a new code appears.
class CodeCounts {
 public:
  void Add(uint16_t code, uint64_t n = 1) {
    for (auto& e : entries_) {
      if (e.first == code) {
        e.second += n;
        return;
      }
    }
    entries_.emplace_back(code, n);
  }
  uint64_t Get(uint16_t code) const;
  void Merge(const CodeCounts& o);
  void Clear() { entries_.clear(); }
  // Sorted by code.
  std::vector<std::pair<uint16_t, uint64_t>> Sorted() const;
  const std::vector<std::pair<uint16_t, uint64_t>>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<std::pair<uint16_t, uint64_t>> entries_;
};

// A hit is an *error* when net_code ≠ 0 or proto_code ≥ 400 (JMeter `success=false`, k6
// http_req_failed); `net_errors` counts net_code ≠ 0 only (phantom's notion).
inline bool IsError(const HitRecord& r) { return r.net_code != 0 || r.proto_code >= 400; }

// phout phases of a record (docs/results.md §2 "Phases"), in ns, each ≥ 0 and summing to
// done − start. A timestamp below the previous one (the engine writes 0 for a phase never
// reached) or after done is taken as done: the phase in progress at a failure gets the rest
// (a connect timeout gives connect = interval_real, the others 0).
struct Phases {
  uint64_t interval_real, connect, send, latency, receive;
};
// The record's timestamps made monotone: start ≤ connected ≤ sent ≤ first_byte ≤ done.
struct Monotone {
  uint64_t start, connected, sent, first_byte, done;
};
inline Monotone MonotoneOf(const HitRecord& r) {
  const uint64_t done = r.done >= r.start ? r.done : r.start;
  auto step = [done](uint64_t prev, uint64_t t) { return (t < prev || t > done) ? done : t; };
  const uint64_t c = step(r.start, r.connected);
  const uint64_t s = step(c, r.sent);
  const uint64_t f = step(s, r.first_byte);
  return Monotone{r.start, c, s, f, done};
}
inline Phases PhasesOf(const HitRecord& r) {
  const Monotone m = MonotoneOf(r);
  return Phases{m.done - m.start, m.connected - m.start, m.sent - m.connected,
                m.first_byte - m.sent, m.done - m.first_byte};
}

class StatsTally;

// Everything of a Stats but its three histograms: the counts, sums and codes (a few hundred
// bytes where a Stats is ~110 KiB; `plot` keeps one per tag for its open bin).
struct StatsCounters {
  uint64_t hits = 0;
  uint64_t errors = 0;      // IsError()
  uint64_t net_errors = 0;  // net_code != 0
  uint64_t bytes_out = 0;
  uint64_t bytes_in = 0;
  // Sums of the phout phases (ns) for the means in the report.
  uint64_t connect_ns = 0;
  uint64_t send_ns = 0;
  uint64_t latency_ns = 0;  // first_byte − sent
  uint64_t receive_ns = 0;
  // Earliest start and latest done among these hits (ns since the run origin): duration.
  uint64_t min_start = std::numeric_limits<uint64_t>::max();
  uint64_t max_done = 0;
  CodeCounts proto_codes;
  CodeCounts net_codes;

  void Merge(const StatsCounters& o);
  void Clear();
};

// Aggregates of a set of hits. Latency histograms skip dropped shots (net 777: never sent,
// nothing to time); they are counted in hits and net_codes.
struct Stats : StatsCounters {
  Histogram latency;  // done − planned (coordinated-omission-correct)
  Histogram service;  // done − start
  Histogram lag;      // start − planned

  void Add(const HitRecord& r) {
    ++hits;
    errors += IsError(r) ? 1 : 0;
    net_errors += r.net_code != 0 ? 1 : 0;
    bytes_out += r.size_out;
    bytes_in += r.size_in;
    min_start = r.start < min_start ? r.start : min_start;
    max_done = r.done > max_done ? r.done : max_done;
    proto_codes.Add(r.proto_code);
    net_codes.Add(r.net_code);
    if (r.net_code == kDroppedNetCode) {
      return;
    }
    const Phases p = PhasesOf(r);
    connect_ns += p.connect;
    send_ns += p.send;
    latency_ns += p.latency;
    receive_ns += p.receive;
    latency.Record(r.done > r.planned ? r.done - r.planned : 0);
    service.Record(p.interval_real);
    lag.Record(r.start > r.planned ? r.start - r.planned : 0);
  }
  void Merge(const Stats& o);
  // Adds the hits `t` tallied: exactly what Add() of each of them would have added.
  void Merge(const StatsTally& t);
  void Clear();
  // Shifts every timestamp by `delta_ns` (merge: aligning origins).
  void Shift(int64_t delta_ns);
  // Duration covered by these hits: max_done − min_start (0 when empty).
  uint64_t duration_ns() const {
    return hits == 0 || max_done < min_start ? 0 : max_done - min_start;
  }

  static constexpr uint16_t kDroppedNetCode = 777;
};

// What Stats::Add accumulates, in the form that is cheapest to build per hit: the worker's
// per-second aggregates (second_aggregates.h) tally every hit, and the collector merges the
// tally into a Stats (Stats::Merge(tally)), which then equals the Stats that Add() of the same
// hits would have built (second_aggregates_test.cc checks it field by field). Per hit it
// touches one (proto, net) pair count, the byte and phase sums, three bucket counts and two
// histogram sums; the rest is derived at the merge:
//   - hits, errors, net_errors, both CodeCounts and the histograms' totals, from the pair
//     counts (the histograms skip dropped shots, net 777);
//   - the latency histogram's sum: latency = lag + service whenever planned ≤ start ≤ done
//     (always, but for records a nib or a clock got wrong), and those others add their
//     difference to latency_fix_;
//   - receive_ns: the four phases of a hit sum to its service time, so Σ receive = Σ service −
//     Σ connect − Σ send − Σ latency (mod 2^64, as Stats' own sums).
// Thread contract: none (one owner at a time). Allocates only when a new code pair appears.
class StatsTally {
 public:
  StatsTally() { codes_.reserve(4); }

  [[gnu::always_inline]] void Add(const HitRecord& r) {
    const uint32_t code = uint32_t{r.proto_code} | uint32_t{r.net_code} << 16;
    if (__builtin_expect(code != last_code_, 0)) {
      SelectCode(code);
    }
    ++codes_[last_].n;
    bytes_out_ += r.size_out;
    bytes_in_ += r.size_in;
    if (__builtin_expect(r.start < min_start_, 0)) {
      min_start_ = r.start;
    }
    if (r.done > max_done_) {
      max_done_ = r.done;
    }
    // The common record: on time or late, its timestamps in order, every value in the
    // histograms' range. Anything else (a dropped shot, a phase never reached) goes the long
    // way, which MonotoneOf and the clamps make exact.
    const bool ordered = (r.planned <= r.start) & (r.start <= r.connected) &
                         (r.connected <= r.sent) & (r.sent <= r.first_byte) &
                         (r.first_byte <= r.done) & (r.done - r.planned <= Histogram::kMaxValue);
    if (__builtin_expect(!ordered || r.net_code == Stats::kDroppedNetCode, 0)) {
      AddOdd(r);
      return;
    }
    connect_ns_ += r.connected - r.start;
    send_ns_ += r.sent - r.connected;
    latency_ns_ += r.first_byte - r.sent;
    service_.RecordInRange(r.done - r.start);
    lag_.RecordInRange(r.start - r.planned);
    latency_.RecordInRangeNoSum(r.done - r.planned);  // = lag + service: its sum is derived
  }
  // Hits tallied (every record added, dropped shots included).
  uint64_t hits() const;
  bool empty() const { return codes_.empty(); }
  // Empties the tally; keeps its memory.
  void Clear();

 private:
  friend struct Stats;
  struct CodePair {
    uint32_t code;  // proto_code | net_code << 16
    uint64_t n;
  };
  static constexpr uint64_t kNoCode = uint64_t{1} << 32;  // matches no pair
  [[gnu::noinline]] void SelectCode(uint32_t code);
  // Add() for a record that is not ordered, or a dropped shot (counted, not timed).
  [[gnu::noinline]] void AddOdd(const HitRecord& r);

  std::vector<CodePair> codes_;  // in order of first appearance
  uint64_t last_code_ = kNoCode;
  size_t last_ = 0;  // codes_[last_].code == last_code_
  uint64_t bytes_out_ = 0;
  uint64_t bytes_in_ = 0;
  uint64_t connect_ns_ = 0;
  uint64_t send_ns_ = 0;
  uint64_t latency_ns_ = 0;  // phase: first_byte − sent
  uint64_t min_start_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_done_ = 0;
  __uint128_t latency_fix_ = 0;  // Σ (latency − lag − service) over the odd records
  HistogramTally latency_;       // buckets, min, max; sum derived
  HistogramTally service_;
  HistogramTally lag_;
};

// A Stats allocated on first use: a run may have thousands of tags (autocases), most of them
// idle in any second, and one Stats is ~110 KiB (three histograms).
class LazyStats {
 public:
  LazyStats() = default;
  LazyStats(const LazyStats& o) : p_(o.p_ ? std::make_unique<Stats>(*o.p_) : nullptr) {}
  LazyStats& operator=(const LazyStats& o) {
    if (this != &o) {
      p_ = o.p_ ? std::make_unique<Stats>(*o.p_) : nullptr;
    }
    return *this;
  }
  LazyStats(LazyStats&&) noexcept = default;
  LazyStats& operator=(LazyStats&&) noexcept = default;
  // The stats, or an empty Stats when nothing was added yet.
  const Stats& get() const { return p_ ? *p_ : Empty(); }
  Stats& mut() {
    if (!p_) {
      p_ = std::make_unique<Stats>();
    }
    return *p_;
  }

 private:
  static const Stats& Empty();
  std::unique_ptr<Stats> p_;
};

// Why autostop stopped a run (src/results/criteria.h; docs/autostop.md): summary.json
// "autostop", the report, the live line and RUN_DIR/autostop_report.txt.
struct AutostopVerdict {
  std::string criterion;  // the criterion as written
  int64_t second = 0;     // the second (after the origin) whose evaluation fired it
  int64_t since = 0;      // the first second of the streak or window that fired
  std::string explain;    // in Tank's words ("5xx codes count higher than 10% for 3s, ...")
  int tank_rc = 0;        // Tank's exit code for this criterion (21..30), for Tank users
  // Named figures ("value", "level", "seconds", "since", ...), in a fixed order per kind.
  std::vector<std::pair<std::string, double>> figures;
};

// What the collector knows about one finished second of completion time.
struct SecondStats {
  int64_t second = 0;         // covers [second, second + 1) s after the origin (completions)
  int64_t unix_ns = 0;        // origin_realtime_ns + second · 1e9
  uint64_t planned = 0;       // shots planned in this second
  uint64_t sent = 0;          // shots fired (started or dropped) in this second
  uint64_t inflight_max = 0;  // max in-flight hits (sum over workers of their maxima)
  uint64_t ring_dropped = 0;  // raw records lost to full result rings in this second
  uint64_t late = 0;          // hits that arrived after their second was written
  uint64_t ring_wait_ns = 0;  // workers' time waiting for result-ring space (a stall)
  Stats overall;
  // Per tag id; nullptr when the tag had no completions this second. Valid only during the
  // on_second callback.
  std::vector<const Stats*> tags;
  // Set in the second whose evaluation fired autostop (valid during on_second), else null.
  const AutostopVerdict* autostop = nullptr;
};

// Run metadata shared by the hits and aggregates files.
struct RunMeta {
  int64_t origin_realtime_ns = 0;
  uint32_t shard = 0;
  uint32_t shards = 1;
  uint32_t workers = 1;
  HitsKeep keep;
  bool keep_mixed = false;        // merged from runs that kept different raw streams
  std::vector<std::string> tags;  // tags[0] = "" (untagged)
  uint64_t run_id = 0;            // NewRunId() (hits_file.h); 0 in version-1 files
};

// Totals of a run: what summary.json, `incarne report` and `incarne run`'s last screen show.
struct RunSummary {
  RunMeta meta;
  Stats overall;
  std::vector<LazyStats> tags;  // by tag id (same size as meta.tags)
  uint64_t planned = 0;
  uint64_t sent = 0;
  uint64_t inflight_max = 0;
  uint64_t ring_dropped = 0;
  uint64_t late = 0;
  uint64_t ring_wait_ns = 0;
  uint64_t seconds = 0;            // per-second entries written
  uint64_t hits_written = 0;       // raw records in the hits file
  uint64_t hits_write_errors = 0;  // records not written because the hits file failed
  // Set when an autostop criterion fired (docs/autostop.md).
  std::optional<AutostopVerdict> autostop;
};

}  // namespace incarne
