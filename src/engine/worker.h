// A worker: one thread pinned to one core, owning one io_uring, its instance slots (one
// connection each), nib states, receive buffers and result ring, and firing its share of the
// shots (docs/design.md §3, §9; docs/engine.md).
//
// The loop (one pass):
//   1. one io_uring submit-and-wait (everything prepared in the last pass goes out; wait for
//      up to 32 completions or until the next thing due: a shot, a simulated reply, a timeout;
//      never longer than 200 µs while hits are in flight);
//   2. `now` is sampled once; every ready CQE is handled, then one io_uring_cq_advance;
//   3. simulated replies and timeouts that are due complete;
//   4. every due shot is fired (up to kMaxFirePerPass, then the next pass goes on at once);
//   5. the result ring is published and the live counters are set.
// Nothing in a pass allocates, locks, throws or formats text: every slot, state, buffer and
// list is allocated by Init().
//
// Shots: worker k of W (after the shard filter) fires global shots i = first + stride·m
// (ShotSlice). rps/stpd: shot i is due at ShotSource::time_ns(i) and takes a free instance
// slot (load.instances caps hits in flight); with none free it waits (overload "delay": sent
// late, planned time kept) or is recorded as net_code 777 without sending (overload "drop").
// instances: shot j is the start of instance j; an active instance fires its next hit as soon
// as the previous one finished, until stop_ns.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "incarne/nib.h"
#include "plan/plan.h"
#include "results/answ.h"
#include "results/hit_record.h"
#include "results/result_ring.h"

namespace incarne {

class Uring;
namespace scenario {
class RuleSet;
}

// When shots are due. The launcher wires this to Schedule::ShotNs (rps/instances) or
// AmmoFile::PlannedNs (stpd); tests use their own. Must be non-decreasing in i for the
// worker's own shots (an out-of-order time fires late, as in phantom).
struct ShotSource {
  enum class Model : uint8_t { kRps, kInstances };
  Model model = Model::kRps;
  int64_t (*time_ns)(const void* ctx, uint64_t i) = nullptr;  // ns since the origin
  const void* ctx = nullptr;
  uint64_t count = 0;  // global shots (rps) or instance starts (instances)
  // Optional: the times of shots first, first + stride, ... (n of them) into out, each equal
  // to time_ns's. The worker fills its buffer of upcoming shots with one call (nullptr: one
  // time_ns call per shot).
  void (*times_ns)(const void* ctx, uint64_t first, uint64_t stride, size_t n,
                   int64_t* out) = nullptr;
};

// Which request a hit sends. The launcher wires this to AmmoFile; a source with count 0
// gives every hit an empty request (nibs with INCARNE_NIB_CAP_AMMO_OPTIONAL).
struct RequestSource {
  uint64_t count = 0;  // M records
  // Fills data/len/tag/flags of record r (< count).
  void (*get)(const void* ctx, uint64_t r, incarne_nib_request* out) = nullptr;
  const void* ctx = nullptr;
  int fd = -1;  // the ammo file, for sendfile(2) of large records (-1: never)
  uint64_t (*file_offset)(const void* ctx, uint64_t r) = nullptr;
};

// Requests of at least this many bytes go out with sendfile(2) unless told otherwise
// (reference measurement: docs/engine.md "SEND vs sendfile(2) crossover").
inline constexpr uint32_t kSendfileMinDefault = 32 * 1024;

// Read-only after the workers start; shared by all of them.
struct EngineShared {
  ShotSource shots;
  RequestSource requests;
  // Shot / hit index i is fired only while i < hit_cap (ammo.limit, ammo.loop × M).
  uint64_t hit_cap = UINT64_MAX;
  // ammo.shared = false: each worker walks the whole ammo itself: record = m mod M, and
  // m < loop_records_per_worker.
  bool ammo_shared = true;
  uint64_t loop_records_per_worker = UINT64_MAX;
  // Shots planned at or after stop_ns are never fired; instances stop starting hits then.
  int64_t stop_ns = INT64_MAX;
  // load.duration given explicitly: firing also stops when the clock reaches it (late shots
  // planned before it are not fired after it).
  bool hard_stop = false;
  bool overload_drop = false;
  // stpd (phantom's instances): a free instance takes the next shot at once and holds it
  // until its planned time, so a record planned earlier than the one before it is not held
  // up by it (Tank's instances stpd: a ramp of instance starts, then records at time 0).
  bool take_ahead = false;
  // load.pacing (rps/stpd models): after a pass that fired shots, the next shot is not fired
  // before that pass + pacing_ns, so one wake-up fires every shot that became due in between
  // (never early; the lag is recorded). 0: a wake-up at every shot's planned time.
  int64_t pacing_ns = 0;
  uint32_t instances = 1000;  // rps/stpd: total cap on hits in flight (split over workers)

  const incarne_nib* nib = nullptr;
  void* nib_ctx = nullptr;
  sockaddr_storage target{};
  socklen_t target_len = 0;
  std::vector<sockaddr_storage> source_ips;  // bind pool, round-robin per connection
  // rps model, TCP nibs (target.http.preconnect): open connections just ahead of the shots
  // that will use them instead of on the shot (docs/engine.md "Preconnect"). The launcher
  // sets it; it has no effect on the instances model.
  bool preconnect = false;
  // Requests sent unchanged from the ammo file at least this large go out with sendfile(2)
  // (docs/engine.md: the crossover is 16–32 KiB); UINT32_MAX = never. The launcher takes
  // INCARNE_SENDFILE_MIN from the environment, for benchmarks that re-measure it.
  uint32_t sendfile_min = kSendfileMinDefault;
  int64_t timeout_ns = 11'000'000'000;
  // answ log (results.answ / the drop-in's logger_default_t level): hits at or above this
  // level go to the worker's AnswRing with the first kAnswReplyMax reply bytes. kNone: no
  // capture at all (one predictable branch per receive and per hit end).
  AnswFilter answ_filter = AnswFilter::kNone;
  // The plan's [[rules]] resolved against the ammo's tags (docs/scenario.md), or null (no
  // rules: one predictable branch per hit end). Each worker checks with its own Clone().
  const scenario::RuleSet* rules = nullptr;

  // Stats in the worker (docs/engine.md "Workers"): each worker aggregates every hit per second
  // and tag itself (SecondAggregates, merged by the collector) and sends raw records through
  // its result ring only as `raw_keep` asks (results.hits), or all of them with `raw_all`
  // (phout.log is written from them). A full ring then never costs a stat: the instances
  // model waits for room (ring_wait_ns, a generator stall), the rps model counts the raw
  // record lost. false: every record goes through the ring, the collector aggregates them.
  bool aggregate_seconds = true;
  uint32_t tags = 1;  // the ammo tag table's size (tag ids at or above it count as tag 0)
  HitsKeep raw_keep;
  bool raw_all = true;

  int64_t origin_mono_ns = 0;  // CLOCK_MONOTONIC of time 0
  uint32_t workers = 1;
  uint32_t shard = 0;
  uint32_t shards = 1;

  // 0 run; 1 graceful (stop firing, let in-flight hits finish up to their timeout);
  // 2 stop now (in-flight hits are recorded as ECANCELED). Written by the control thread.
  std::atomic<int> stop{0};
};

struct WorkerOptions {
  uint32_t index = 0;
  int cpu = -1;        // pin to this CPU (-1: no pinning)
  uint32_t slots = 0;  // instance slots (0: derived from EngineShared)
  ResultRing* ring = nullptr;
  AnswRing* answ = nullptr;  // with EngineShared::answ_filter ≠ kNone (else unused)
  // io_uring fallbacks, forced (tests check them): see UringOptions.
  bool allow_defer_taskrun = true;
  bool allow_recv_multishot = true;
  // Reply times from the kernel (SO_TIMESTAMPNS through multishot RECVMSG) instead of the
  // time the completion was reaped; off = reap time (tests compare both).
  bool allow_rx_timestamps = true;
  // Receive buffers handed out at the start (0: the worker's default; tests start smaller
  // to make receives run out of buffers and the pool grow).
  uint32_t recv_buffers_start = 0;
};

// Totals of one worker, readable after Run() returns.
struct WorkerStats {
  uint64_t shots_fired = 0;  // hits started + shots dropped (777)
  uint64_t hits_done = 0;    // records produced (pushed or counted as ring drops)
  uint64_t dropped_777 = 0;
  uint64_t ring_full = 0;     // raw records lost to a full result ring
  uint64_t ring_wait_ns = 0;  // time spent waiting for result-ring space (instances model)
  uint64_t passes = 0;
  uint64_t waits = 0;        // io_uring_enter calls that could sleep
  uint64_t waits_short = 0;  // of those, returned with fewer CQEs than asked (the deadline)
  uint64_t cqes = 0;
  uint64_t connects = 0;
  uint64_t retries = 0;
  uint64_t recv_nobufs = 0;
  uint64_t recv_buffers = 0;  // receive buffers handed out (the pool's size at the end)
  uint64_t rx_stamped = 0;    // receives that carried a kernel timestamp
  int64_t cpu_ns = 0;         // the worker thread's CPU time in Run()
  int64_t run_ns = 0;         // wall time of Run()
};

class Worker {
 public:
  Worker(const EngineShared* shared, WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // On the worker thread, before the run: pins, sets timer slack, sets up the io_uring,
  // the buffer ring, the slots and the nib's worker context. Errors are control-plane
  // Statuses (FailedPrecondition when the kernel lacks something; the nib's message).
  absl::Status Init();
  // One line describing the io_uring setup chosen by Init() (logged once per run).
  std::string DescribeSetup() const;
  // On the worker thread: runs the loop until the worker has fired everything it owns (or
  // was stopped) and every hit has ended; then closes its connections and marks its ring
  // finished. Never throws; runtime failures end up in hit records.
  void Run();

  const WorkerStats& stats() const { return stats_; }
  uint32_t slot_count() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  WorkerStats stats_;
};

// How many instance slots worker `index` gets: rps/stpd splits `instances` (the remainder
// to the first workers); instances model: the number of instance starts it owns.
uint32_t WorkerSlots(const EngineShared& shared, uint32_t index);

}  // namespace incarne
