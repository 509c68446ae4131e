#include "engine/worker.h"

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/recv_buffers.h"
#include "engine/uring.h"
#include "engine/uring_compat.h"
#include "engine/user_data.h"
#include "plan/schedule.h"
#include "scenario/cookies.h"
#include "scenario/http_reply.h"
#include "scenario/jsonpath.h"
#include "scenario/rules.h"
#include "scenario/session.h"
#include "util/check.h"
#include "util/clock.h"
#include "util/errno_name.h"
#include "util/status.h"

namespace incarne {
namespace {

// The wait point never sleeps longer than this while hits are in flight: it bounds how late a
// completion can be reaped (and stamped) when fewer than kWaitBatch CQEs arrive.
constexpr int64_t kMaxWaitBusyNs = 200'000;
// The same bound when replies carry the kernel's receive time (rx_timestamps): a late reap
// then only delays the instance's next request in the closed model, never a measurement
// (the open model's next shot bounds the wait anyway, and with no instance free the short
// bound applies). With 200 µs, 90 % of the waits at
// c=200 against nginx ended by this timer — each timer wake-up costs ~15 µs of CPU on this VM
// (docs/iouring.md §4) — after ~12 hits; with 1 ms, 10 % did, after ~30 hits, and the run
// cost 12–25 % less CPU per hit at 3–50 % more req/s (4 of 4 alternated pairs; docs/engine.md).
constexpr int64_t kMaxWaitBusyStampedNs = 1'000'000;
// Nothing in flight and nothing due: still wake now and then to notice a stop request.
constexpr int64_t kMaxWaitIdleNs = 10'000'000;
// A wait returns when half the hits on the network (at most kWaitBatch) completed, or at the
// deadline (next shot, timeout, kMaxWaitBusyNs). Replies are stamped by the kernel
// (rx_timestamps), so a batched wait does not make them look late; half, not all, so that a
// closed-model instance does not sit idle until the slowest of its neighbours answered.
// Measured (scripts/bench-peers, c=50/200 keep-alive against nginx): waiting for all in flight
// or for half cost the same CPU per hit; half kept ~5 % more rps and a lower p99. The SENDs an
// enter carries are added to wait_nr (their CQEs are posted inside that enter): without that,
// a wait returned after ~12 hits at c=200 instead of ~15.
// Without kernel stamps (an old kernel, SO_TIMESTAMPNS refused) a reply would be stamped when
// reaped: then, with IORING_FEAT_MIN_TIMEOUT, the wait returns as soon as one CQE is ready
// once kMinWaitNs passed, bounding that error (at the price of ~3× more wake-ups).
constexpr int64_t kMinWaitNs = 50'000;
constexpr uint32_t kWaitBatch = 32;
// Shots fired per pass at most; the next pass follows at once (without sleeping) when more
// are due, so CQEs are reaped and the result ring is published in between.
constexpr uint32_t kMaxFirePerPass = 4096;
// The pacing window looks this many shots ahead at most (PacedWake): 250 µs at 256,000 shots/s
// per worker.
constexpr uint64_t kPaceScanMax = 64;
constexpr uint32_t kRecvBufSize = 4096;
// Receive buffers handed out at the start; a pass in which receives found none adds one for
// each (at least kRecvBufsGrowMin), up to two per slot. Measured (docs/engine.md "The per-hit
// tally, and what the memory is"): a keep-alive pass reaps far fewer replies than there are
// connections, and every buffer handed out is resident, so sizing by the slots cost 8 KiB per
// connection.
constexpr uint32_t kRecvBufsStart = 64;
constexpr uint32_t kRecvBufsGrowMin = 16;
constexpr uint16_t kBufGroup = 0;
constexpr uint32_t kNil = UINT32_MAX;
// How often the live counters' `shots_due` is recomputed while the worker is behind.
constexpr int64_t kCounterPeriodNs = 1'000'000;
// Closed model, full result ring: the worker sleeps this long between looks for room (the
// collector frees records in batches of up to 16384), and gives a raw record up after
// kRingWaitMaxNs (the collector is gone or stuck; the hit stays in the aggregates).
constexpr long kRingWaitStepNs = 50'000;
constexpr int64_t kRingWaitMaxNs = 1'000'000'000;
// Preconnect (rps model): the free slots the shots due within this window will take are
// connected ahead of them; before the origin the window is longer, so the first shots find
// their connections open. A failed preconnect pauses preconnecting for kPreconnectPauseNs
// (the target is down: the hits themselves connect and record the error).
constexpr int64_t kPreconnectAheadNs = 2'000'000;
constexpr int64_t kPreconnectStartNs = 20'000'000;
constexpr int64_t kPreconnectPauseNs = 50'000'000;
constexpr uint32_t kPreconnectPerPass = 64;
// A connection whose last request said "Connection: close" is closed only once the server's
// FIN arrived (so the server, not us, holds the TIME_WAIT), or after this long.
constexpr int64_t kLingerMaxNs = 1'000'000'000;

enum ConnState : uint8_t { kConnNone, kConnConnecting, kConnHandshake, kConnReady };
enum HitState : uint8_t { kHitNone, kHitWaitConn, kHitActive, kHitDelayed };

// One instance: a connection and the hit in flight on it. Everything a hit needs lives here
// (preallocated); the nib's state is in the worker's state arena.
struct Slot {
  HitRecord rec;
  incarne_nib_request req;
  uint64_t record = 0;  // ammo record index (sendfile offset)
  const uint8_t* send_ptr = nullptr;
  uint32_t send_len = 0;  // 0: no send in progress
  uint32_t send_off = 0;
  uint64_t file_off = 0;  // sendfile: offset of send_ptr[send_off] in the ammo file
  int64_t deadline = 0;
  uint32_t prev = kNil;  // timeout list (hits on the network, in start order)
  uint32_t next = kNil;
  int fd = -1;
  uint32_t gen = 0;
  void* state = nullptr;
  uint8_t conn = kConnNone;
  uint8_t hit = kHitNone;
  bool recv_armed = false;
  bool used_before = false;       // the connection already served a hit (keep-alive)
  bool opened = false;            // on_open called; on_close owed
  bool active = false;            // instances model: the instance has started
  bool ready_after_send = false;  // READY came with bytes: ready once they are sent
  bool conn_send = false;         // the send in progress belongs to the connection, not the hit
  bool sendfile = false;
  bool preconnected = false;  // opened ahead of its first hit (preconnect); stale → retry
  bool tls_resumed = false;   // the nib's READY said INCARNE_NIB_OUT_RESUMED
  bool recv_msg = false;      // the armed receive is a RECVMSG (timestamped) one
  // The nib's out->insert for the send in progress: insert_len bytes spliced in at insert_at
  // (send_len counts them); sent with SENDMSG over iov.
  const uint8_t* insert_ptr = nullptr;
  uint32_t insert_len = 0;
  uint32_t insert_at = 0;
  iovec iov[3];
  msghdr msg;
  // The hit's request told the server it is the connection's last (the nib's inserted header,
  // or INCARNE_NIB_OUT_LAST_REQUEST); reset by CloseConn.
  bool announced_close = false;
  uint64_t send_pass = 0;  // the pass whose submit carried the last SEND
  uint64_t taken_m = 0;    // take-ahead: the local shot this idle slot holds
  // [[rules]]: the hit's tag has rules that read the reply (its bytes go to the scan buffer);
  // the reason of the check that failed (a static string of the worker's RuleSet), or null.
  bool scan = false;
  const char* assert_why = nullptr;
  // Templates: the hit's request was assembled into the slot's template buffer (never
  // sendfile'd from the ammo file); hits this instance started (${iteration}).
  bool templated = false;
  uint64_t iterations = 0;
  // Multi-step sessions (docs/scenario.md): the session this instance (closed model) or shot
  // (open model) runs, the step of the hit in flight, and what the session record sums up.
  bool in_session = false;
  bool data_loaded = false;  // [scenario.data] rows = "instance": the row is in the store
  uint32_t step = 0;
  uint16_t sess_net = 0;  // the first failed step's net code
  uint64_t sess = 0;
  uint64_t sess_index = 0;  // req.index of the shot that started it (open model)
  uint64_t sess_planned = 0;
  uint64_t sess_start = 0;
  uint64_t sess_out = 0;
  uint64_t sess_in = 0;
};

struct DelayItem {
  int64_t due;
  uint32_t slot;
};
struct DelayLater {
  bool operator()(const DelayItem& a, const DelayItem& b) const { return a.due > b.due; }
};

uint32_t NextPow2(uint32_t v) {
  uint32_t p = 1;
  while (p < v) {
    p <<= 1;
  }
  return p;
}

// Number of m ≥ 0 with first + stride·m < end.
uint64_t SliceCount(uint64_t first, uint64_t stride, uint64_t end) {
  if (end <= first) {
    return 0;
  }
  return (end - first - 1) / stride + 1;  // no overflow for end = UINT64_MAX
}

}  // namespace

uint32_t WorkerSlots(const EngineShared& shared, uint32_t index) {
  const ShotSlice slice = ShotSlice::For(shared.shard, shared.shards, index, shared.workers);
  if (shared.shots.model == ShotSource::Model::kInstances) {
    return static_cast<uint32_t>(
        std::min<uint64_t>(SliceCount(slice.first, slice.stride, shared.shots.count), UINT32_MAX));
  }
  const uint32_t w = shared.workers;
  return shared.instances / w + (index < shared.instances % w ? 1 : 0);
}

struct Worker::Impl {
  const EngineShared* sh_;
  WorkerOptions opt_;
  WorkerStats* stats_;
  std::unique_ptr<Uring> uring_;
  const incarne_nib* nib_;
  void* wctx_ = nullptr;
  bool worker_inited_ = false;
  uint32_t transport_ = INCARNE_NIB_TRANSPORT_NONE;
  bool tcp_ = false;
  // The nib transforms bytes (INCARNE_NIB_CAP_TLS): a hit's size_out/size_in are the
  // application bytes it reports (out->size_out, out->size_in), never the wire bytes
  // (docs/results.md "Byte counts").
  bool nib_sizes_ = false;
  bool multishot_ = true;
  // Kernel receive timestamps (multishot RECVMSG + SO_TIMESTAMPNS): a reply is stamped when
  // the kernel received it, not when a batched wait reaped it — so waits can batch hard
  // without skewing latency (docs/iouring.md §6, "Caveat"). rx_ts is the stamp of the chunk
  // being delivered (0 = none: use now); real_to_mono converts CLOCK_REALTIME stamps, sampled
  // once per pass when first needed.
  bool rx_timestamps_ = false;
  msghdr rx_msg_{};
  int64_t rx_ts_ = 0;
  int64_t real_to_mono_ = 0;
  int64_t real_to_mono_at_ = -1;
  // A socket with SO_TIMESTAMPNS held open for the worker's life. The kernel stamps received
  // packets only while some socket asks for it, and it switches that on and off (a patched
  // static branch, in a work item) whenever the count of such sockets goes 1 → 0 → 1: with a
  // connection per hit and few in flight, twice per hit. Measured on loopback (a connect +
  // request + read-to-close client, median of 1,000): ~25–30 µs more per hit with the
  // toggling than without timestamps, and no difference with one socket kept (docs/engine.md
  // "Fresh connections").
  int ts_keeper_fd_ = -1;
  // When the last pass handed its SQEs to the kernel (socket SENDs are issued inline at
  // submit, so a SEND reaped in the next pass was done by then): the `sent` stamp.
  int64_t submit_ns_ = 0;
  ShotSlice slice_;

  std::vector<Slot> slots_;
  uint8_t* states_ = nullptr;
  size_t state_stride_ = 0;
  std::vector<uint32_t> free_stack_;  // rps: idle slots, most recently used on top
  uint32_t free_top_ = 0;
  std::vector<uint32_t> ready_;  // instances: ring of slots ready to fire
  uint32_t ready_head_ = 0;
  uint32_t ready_count_ = 0;
  std::vector<DelayItem> delayed_;  // simulated replies, min-heap on due
  // EngineShared::take_ahead: slots holding a shot until its planned time, min-heap on it.
  std::vector<DelayItem> taken_;
  uint32_t to_head_ = kNil;  // timeout list
  uint32_t to_tail_ = kNil;

  RecvBuffers recv_bufs_;    // after `uring`: destroyed (unregistered) before the ring
  uint32_t recv_short_ = 0;  // receives of this pass that found no buffer (GrowRecvBuffers)

  // shots
  uint64_t m_next_ = 0;  // next local shot (rps) / next local instance start (instances)
  uint64_t m_end_ = 0;
  int64_t next_t_ = 0;  // time of local shot m_next
  // No network, no rules, no answ: only the nib acts on a hit (StartPlainHit).
  bool plain_none_ = false;
  // Times of local shots [shot_buf_m_, shot_buf_m_ + shot_buf_len_) (NextShotTime).
  static constexpr size_t kShotBuffer = 64;
  std::array<int64_t, kShotBuffer> shot_buf_{};
  uint64_t shot_buf_m_ = 0;
  uint64_t shot_buf_len_ = 0;
  uint64_t hits_started_ = 0;  // instances: local hit counter h
  uint64_t hit_end_ = 0;       // instances: local hit cap
  bool firing_done_ = false;
  uint64_t inflight_ = 0;
  uint64_t net_pending_ = 0;  // hits waiting on the network (not simulated replies)
  // Hits waiting for their connection (connect, TLS handshake): while there are any, the wait
  // returns at the first completion, so a connect's or a handshake step's completion is acted
  // on at once — the request never waits for a wake-up (the wait bound, the pacing quantum).
  uint32_t conn_waits_ = 0;
  uint32_t lingering_ = 0;  // closed connections waiting for the server's FIN (kLinger)
  // kLingerMaxNs for the linked timeouts (liburing 2.3 takes a non-const pointer; the kernel
  // reads it at submit).
  __kernel_timespec linger_ts_{.tv_sec = kLingerMaxNs / 1'000'000'000,
                               .tv_nsec = kLingerMaxNs % 1'000'000'000};
  // The last pass that fired shots (rps/stpd): with load.pacing the next timed wake-up is not
  // before fired_at + pacing_ns.
  int64_t fired_at_ = INT64_MIN / 2;
  uint32_t sends_in_pass_ = 0;  // SENDs prepared since the last wait (they complete at submit)
  // Of those, the SENDs of a connection's last setup flight (a TLS client Finished): their
  // completion makes the connection ready, so it is the event the wait is for.
  uint32_t ready_sends_in_pass_ = 0;
  unsigned last_wait_nr_ = 0;  // CQEs the last wait asked for (0: it did not sleep)
  uint64_t fired_ = 0;
  uint64_t due_ = 0;
  int64_t counters_at_ = INT64_MIN / 2;
  uint32_t source_rr_ = 0;
  bool preconnect_ = false;
  int64_t preconnect_pause_until_ = INT64_MIN;
  int64_t now_ = 0;
  SecondAggregates* seconds_ = nullptr;   // the ring's (EnableSeconds), set by Init()
  int64_t ring_stuck_until_ = INT64_MIN;  // RingFull() gave up waiting: drop until then
  // answ log (EngineShared::answ_filter ≠ kNone, opt.answ set): per slot, the first
  // kAnswReplyMax reply bytes of the hit in flight, preallocated by Init(); null otherwise.
  uint8_t* answ_buf_ = nullptr;
  std::vector<uint32_t> answ_len_;
  // Capture the bytes received from the socket (answ on and the nib has no tap_replies);
  // false when the nib taps its decoded reply bytes itself (AnswTap) or answ is off.
  bool answ_raw_ = false;
  // The nib's last_error hook, set only with answ on: the reason of a hit the nib failed.
  const char* (*nib_last_error_)(void* worker_ctx) = nullptr;
  // [[rules]] (EngineShared::rules ≠ null): this worker's own copy (its RE2 caches), and per
  // slot the first scan_cap_ reply bytes of a hit whose tag's rules read the reply (headers,
  // body), preallocated by Init(); scan_raw_ as answ_raw_ (false when the nib taps).
  std::unique_ptr<scenario::RuleSet> rules_;
  uint8_t* scan_buf_ = nullptr;
  std::vector<uint32_t> scan_len_;
  uint32_t scan_cap_ = 0;
  size_t scan_stride_ = 0;  // scan_cap_ + padding (simdjson reads a little past the JSON)
  bool scan_raw_ = false;
  // Captures (docs/scenario.md "Variables"): per slot (= instance) max_vars values of
  // max_value bytes and their lengths, preallocated by Init() when any rule captures.
  char* var_values_ = nullptr;
  std::vector<uint16_t> var_lens_;
  // Templated ammo records (docs/scenario.md "Templates"): per slot a buffer of tmpl_cap_
  // bytes the request is assembled into; the worker's random state (${uuid}, ${random}).
  char* tmpl_buf_ = nullptr;
  uint32_t tmpl_cap_ = 0;
  size_t tmpl_stride_ = 0;
  uint64_t rng_ = 1;
  // Multi-step sessions (RuleSet::sessions(), shared read-only): the sessions this worker has
  // begun (session k is (first + stride·k) mod count), and the instances in think time
  // before their next step, min-heap on when it is due (preallocated: one entry per slot).
  const scenario::SessionTable* sessions_ = nullptr;
  uint64_t sessions_begun_ = 0;
  std::vector<DelayItem> thinking_;
  bool stopped_ = false;  // StopFiring ran: sessions in progress take no next step
  // [scenario.data]: the data table and the rows this worker handed out (round_robin).
  const scenario::DataTable* data_ = nullptr;
  uint64_t data_rows_taken_ = 0;
  // [scenario] cookies = true: a jar per slot and a buffer per slot that a request is copied
  // into with its Cookie header (preallocated by Init).
  std::vector<scenario::CookieJar> jars_;
  char* ck_buf_ = nullptr;
  uint32_t ck_cap_ = 0;
  size_t ck_stride_ = 0;

  Impl(const EngineShared* s, WorkerOptions o, WorkerStats* st)
      : sh_(s), opt_(o), stats_(st), nib_(s->nib) {}

  ~Impl() {
    if (ts_keeper_fd_ >= 0) {
      close(ts_keeper_fd_);
    }
    free(states_);
    free(answ_buf_);
    free(scan_buf_);
    free(var_values_);
    free(tmpl_buf_);
    free(ck_buf_);
  }

  // ---------------------------------------------------------------- setup

  absl::Status Init() {
    if (opt_.cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(opt_.cpu, &set);
      if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        return absl::FailedPreconditionError(absl::StrCat("worker ", opt_.index,
                                                          ": cannot pin to CPU ", opt_.cpu, ": ",
                                                          std::string(NetCodeText(errno))));
      }
    }
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    if (sh_->aggregate_seconds && opt_.ring->seconds() == nullptr) {
      opt_.ring->EnableSeconds(sh_->tags, RawFilter(sh_->raw_keep, sh_->raw_all));
    }
    seconds_ = opt_.ring->seconds();
    transport_ = nib_->transport;
    tcp_ = transport_ == INCARNE_NIB_TRANSPORT_TCP;
    nib_sizes_ = (nib_->capabilities & INCARNE_NIB_CAP_TLS) != 0;
    slice_ = ShotSlice::For(sh_->shard, sh_->shards, opt_.index, sh_->workers);
    const uint32_t n = opt_.slots != 0 ? opt_.slots : WorkerSlots(*sh_, opt_.index);

    UringOptions uo;
    uo.allow_defer_taskrun = opt_.allow_defer_taskrun;
    if (transport_ == INCARNE_NIB_TRANSPORT_NONE) {
      uo.sq_entries = 64;
      uo.cq_entries = 128;
    } else {
      uo.sq_entries = std::clamp<uint32_t>(NextPow2(n * 2), 256, 8192);
      uo.cq_entries = std::clamp<uint32_t>(NextPow2(n * 4), 1024, 65536);
    }
    auto u = Uring::Create(uo);
    if (!u.ok()) {
      return u.status();
    }
    uring_ = std::move(*u);
    multishot_ = opt_.allow_recv_multishot && uring_->features().recv_multishot;
    rx_timestamps_ = multishot_ && opt_.allow_rx_timestamps;
    if (rx_timestamps_ && tcp_) {
      ts_keeper_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      int one = 1;
      if (ts_keeper_fd_ >= 0 &&
          setsockopt(ts_keeper_fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0) {
        close(ts_keeper_fd_);  // the first connection's setsockopt decides, as before
        ts_keeper_fd_ = -1;
      }
    }
    rx_msg_.msg_controllen = CMSG_SPACE(sizeof(timespec));
    preconnect_ = sh_->preconnect && tcp_ && sh_->shots.model == ShotSource::Model::kRps;

    slots_.resize(n);
    state_stride_ = (nib_->state_size + 63) / 64 * 64;
    if (state_stride_ != 0 && n != 0) {
      states_ = static_cast<uint8_t*>(aligned_alloc(64, state_stride_ * n));
      if (states_ == nullptr) {
        return absl::ResourceExhaustedError("cannot allocate nib states");
      }
      memset(states_, 0, state_stride_ * n);
    }
    for (uint32_t i = 0; i < n; ++i) {
      slots_[i].state = states_ != nullptr ? states_ + state_stride_ * i : nullptr;
    }
    if (sh_->shots.model == ShotSource::Model::kRps) {
      free_stack_.resize(n);
      for (uint32_t i = 0; i < n; ++i) {
        free_stack_[i] = n - 1 - i;  // slot 0 on top
      }
      free_top_ = n;
    } else {
      ready_.resize(n);
    }
    delayed_.reserve(n);
    taken_.reserve(sh_->take_ahead ? n : 0);
    if (sh_->answ_filter != AnswFilter::kNone && opt_.answ != nullptr && n != 0) {
      // Large allocations are mmap'ed: pages of slots that never capture cost nothing.
      answ_buf_ = static_cast<uint8_t*>(aligned_alloc(64, size_t{kAnswReplyMax} * n));
      if (answ_buf_ == nullptr) {
        return absl::ResourceExhaustedError("cannot allocate answ reply buffers");
      }
      answ_len_.assign(n, 0);
    }
    if (sh_->rules != nullptr) {
      rules_ = sh_->rules->Clone();
      scan_cap_ = rules_->scan_bytes();
      scan_stride_ = (size_t{scan_cap_} + scenario::kJsonPadding + 63) / 64 * 64;
      if (scan_cap_ != 0 && n != 0) {
        // As the answ buffers: mmap'ed, so pages no hit writes cost nothing.
        scan_buf_ = static_cast<uint8_t*>(aligned_alloc(64, scan_stride_ * n));
        if (scan_buf_ == nullptr) {
          return absl::ResourceExhaustedError("cannot allocate the rules' reply buffers");
        }
        scan_len_.assign(n, 0);
      }
      const size_t vars = size_t{rules_->max_vars()} * n;
      if (!rules_->var_names().empty() && vars != 0) {
        var_values_ =
            static_cast<char*>(aligned_alloc(64, (vars * rules_->max_value() + 63) / 64 * 64));
        if (var_values_ == nullptr) {
          return absl::ResourceExhaustedError("cannot allocate the variable stores");
        }
        var_lens_.assign(vars, scenario::VarStore::kUnset);
      }
      tmpl_cap_ = rules_->template_cap();
      tmpl_stride_ = (size_t{tmpl_cap_} + 63) / 64 * 64;
      if (tmpl_cap_ != 0 && n != 0) {
        tmpl_buf_ = static_cast<char*>(aligned_alloc(64, tmpl_stride_ * n));
        if (tmpl_buf_ == nullptr) {
          return absl::ResourceExhaustedError("cannot allocate the template buffers");
        }
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rng_ = ((uint64_t{opt_.index} + 1) * 0x9E3779B97F4A7C15ull) ^
               static_cast<uint64_t>(ts.tv_nsec) ^ (static_cast<uint64_t>(ts.tv_sec) << 30);
        rng_ |= 1;  // xorshift needs a nonzero state
      }
      RETURN_IF_ERROR(InitScenario(n));
    }

    if (transport_ != INCARNE_NIB_TRANSPORT_NONE) {
      if (!uring_->features().buf_ring) {
        return absl::FailedPreconditionError(
            "io_uring provided buffer rings are missing (Linux 5.19+ needed for network nibs)");
      }
      // Room for two buffers per slot, kRecvBufsStart of them handed out (and resident) at
      // first; a pass that runs out grows the pool (GrowRecvBuffers).
      RETURN_IF_ERROR(recv_bufs_.Init(
          uring_->ring(), std::clamp<uint32_t>(NextPow2(n * 2), 64, 4096), kRecvBufSize, kBufGroup,
          opt_.recv_buffers_start != 0 ? opt_.recv_buffers_start : kRecvBufsStart));
      stats_->recv_buffers = recv_bufs_.active();
    }

    if (nib_->worker_init != nullptr) {
      char error[256] = {0};
      int r = nib_->worker_init(sh_->nib_ctx, opt_.index, n, &wctx_, error, sizeof(error));
      if (r != 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("nib ", nib_->name, ": worker ", opt_.index, ": ",
                         error[0] != 0 ? error : std::string(NetCodeText(-r))));
      }
      worker_inited_ = true;
    }
    if (answ_buf_ != nullptr || scan_buf_ != nullptr) {
      // A nib that transforms bytes (TLS) hands over the reply as it decodes it; the state
      // arena maps its `state` back to the slot, so it needs a state (nib.h).
      answ_raw_ = answ_buf_ != nullptr;
      scan_raw_ = scan_buf_ != nullptr;
      if (INCARNE_NIB_HAS(nib_, tap_replies) && nib_->tap_replies != nullptr &&
          states_ != nullptr) {
        nib_->tap_replies(wctx_, &Impl::AnswTap, this);
        answ_raw_ = false;
        scan_raw_ = false;
      }
      if (answ_buf_ != nullptr && INCARNE_NIB_HAS(nib_, last_error)) {
        nib_last_error_ = nib_->last_error;
      }
    }

    // Shots this worker owns.
    if (sh_->shots.model == ShotSource::Model::kRps) {
      uint64_t end = std::min(sh_->shots.count, sh_->hit_cap);
      m_end_ = SliceCount(slice_.first, slice_.stride, end);
      if (!sh_->ammo_shared) {
        m_end_ = std::min(m_end_, sh_->loop_records_per_worker);
      }
    } else {
      m_end_ = n;
      hit_end_ = SliceCount(slice_.first, slice_.stride, sh_->hit_cap);
      if (!sh_->ammo_shared) {
        hit_end_ = std::min(hit_end_, sh_->loop_records_per_worker);
      }
    }
    plain_none_ =
        transport_ == INCARNE_NIB_TRANSPORT_NONE && rules_ == nullptr && answ_buf_ == nullptr;
    if (m_end_ > 0) {
      next_t_ = NextShotTime(0);
    }
    return absl::OkStatus();
  }

  // Sessions, data rows and cookie jars (docs/scenario.md), all preallocated here.
  absl::Status InitScenario(uint32_t n) {
    sessions_ = rules_->sessions();
    if (sessions_ != nullptr && sessions_->count() == 0) {
      sessions_ = nullptr;
    }
    thinking_.reserve(sessions_ != nullptr ? n : 0);
    data_ = rules_->data();
    if (rules_->cookies() && n != 0) {
      jars_.resize(n);
      for (scenario::CookieJar& j : jars_) {
        j.Clear();
      }
      ck_cap_ = std::max(rules_->max_request(), tmpl_cap_) + scenario::kCookieHeaderMax;
      ck_stride_ = (size_t{ck_cap_} + 63) / 64 * 64;
      ck_buf_ = static_cast<char*>(aligned_alloc(64, ck_stride_ * n));
      if (ck_buf_ == nullptr) {
        return absl::ResourceExhaustedError("cannot allocate the cookie buffers");
      }
    }
    return absl::OkStatus();
  }

  int64_t ShotTime(uint64_t m) const {
    return sh_->shots.time_ns(sh_->shots.ctx, slice_.first + slice_.stride * m);
  }

  // The time of local shot m (< m_end_) looked ahead of the order: from the buffer when it
  // holds m, which it leaves as it is.
  int64_t PeekShotTime(uint64_t m) const {
    const uint64_t k = m - shot_buf_m_;
    return k < shot_buf_len_ ? shot_buf_[k] : ShotTime(m);
  }

  // The time of local shot m (< m_end_), taken in order: from the buffer of upcoming shot
  // times, refilled kShotBuffer at a time with one ShotSource::times_ns call (a call through
  // a pointer and a segment search per shot were a fifth of the dummy path's cost).
  int64_t NextShotTime(uint64_t m) {
    const uint64_t k = m - shot_buf_m_;
    if (__builtin_expect(k < shot_buf_len_, 1)) {
      return shot_buf_[k];
    }
    return FillShotBuffer(m);
  }
  [[gnu::noinline]] int64_t FillShotBuffer(uint64_t m) {
    if (sh_->shots.times_ns == nullptr) {
      return ShotTime(m);
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kShotBuffer, m_end_ - m));
    sh_->shots.times_ns(sh_->shots.ctx, slice_.first + slice_.stride * m, slice_.stride, n,
                        shot_buf_.data());
    shot_buf_m_ = m;
    shot_buf_len_ = n;
    return shot_buf_[0];
  }

  // ---------------------------------------------------------------- the loop

  static int64_t ThreadCpuNs() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }

  void Run() {
    const int64_t cpu0 = ThreadCpuNs();
    const int64_t wall0 = MonoNs();
    const int64_t origin = sh_->origin_mono_ns;
    for (;;) {
      now_ = MonoNs() - origin;
      ++stats_->passes;
      ReapCqes();
      ExpireDelayed();
      ExpireTimeouts();
      ExpireThinking();
      const int stop = sh_->stop.load(std::memory_order_relaxed);
      if (stop >= 2) {
        AbortAll();
        break;
      }
      // (Sessions may still be stepping after the last shot: the stop cuts them too.)
      if (!stopped_ && (!firing_done_ || !thinking_.empty()) &&
          (stop == 1 || (sh_->hard_stop && now_ >= sh_->stop_ns))) {
        StopFiring();
      }
      if (!firing_done_) {
        if (sh_->shots.model == ShotSource::Model::kRps) {
          FireRps();
          if (preconnect_) {
            Preconnect();
          }
        } else {
          FireInstances();
        }
      }
      GrowRecvBuffers();
      recv_bufs_.Flush();
      opt_.ring->Publish();
      if (seconds_ != nullptr) {
        seconds_->Tick(now_);
      }
      UpdateCounters();
      if (firing_done_ && inflight_ == 0 && thinking_.empty()) {
        break;
      }
      Wait();
    }
    for (uint32_t s = 0; s < slots_.size(); ++s) {
      CloseConn(s);
    }
    // Lingering closes end with the server's FIN, which is on its way: wait for them (each
    // is bounded by its linked timeout, and all together by kLingerMaxNs) so that no fd
    // outlives the worker.
    for (const int64_t end = MonoNs() + kLingerMaxNs; lingering_ != 0 && MonoNs() < end;) {
      uring_->SubmitAndWait(1, end, MonoNs(), 0);
      ReapCqes();
    }
    recv_bufs_.Flush();
    // Drain so that io_uring_queue_exit has nothing left to cancel but stale receives.
    uring_->Submit();
    if (worker_inited_ && nib_->worker_fini != nullptr) {
      nib_->worker_fini(sh_->nib_ctx, wctx_);
      worker_inited_ = false;
    }
    due_ = std::max(due_, fired_);
    opt_.ring->SetCounters(due_, fired_, 0);
    if (seconds_ != nullptr) {
      seconds_->FlushAll();  // before MarkFinished: the collector's last drain takes them
    }
    opt_.ring->MarkFinished();
    stats_->cpu_ns = ThreadCpuNs() - cpu0;
    stats_->run_ns = MonoNs() - wall0;
  }

  void StopFiring() {
    firing_done_ = true;
    stopped_ = true;
    // Sessions in think time take no next step: cut, they record no session hit; an open
    // model's instance goes back to the free stack.
    for (const DelayItem& d : thinking_) {
      slots_[d.slot].in_session = false;
      if (sh_->shots.model == ShotSource::Model::kRps) {
        free_stack_[free_top_++] = d.slot;
      }
    }
    thinking_.clear();
    ready_count_ = 0;  // instances waiting to fire do not
    for (const DelayItem& d : taken_) {
      free_stack_[free_top_++] = d.slot;  // shots held for later are not fired
    }
    taken_.clear();
  }

  // rps + preconnect: connects the free slots (top of the LIFO free stack: the ones the next
  // shots take) that the shots due before now + window will need, at most
  // kPreconnectPerPass per pass. A shot that takes a slot whose connect is still in flight
  // waits for it, and its connect phase shows that wait.
  void Preconnect() {
    if (now_ < preconnect_pause_until_ || m_next_ >= m_end_ || free_top_ == 0) {
      return;
    }
    const int64_t horizon = now_ + (now_ < 0 ? kPreconnectStartNs : kPreconnectAheadNs);
    if (next_t_ > horizon) {
      return;
    }
    // Local shots due by the horizon, at most free_top (binary search over the local index).
    uint64_t lo = m_next_;  // due by the horizon
    uint64_t hi = std::min<uint64_t>(m_end_, m_next_ + free_top_);
    while (lo + 1 < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (ShotTime(mid) <= horizon) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    const uint32_t want = static_cast<uint32_t>(lo - m_next_ + 1);
    uint32_t opened = 0;
    for (uint32_t j = 0; j < want && opened < kPreconnectPerPass; ++j) {
      const uint32_t s = free_stack_[free_top_ - 1 - j];
      if (slots_[s].conn == kConnNone) {
        slots_[s].preconnected = true;
        Connect(s);
        ++opened;
      }
    }
  }

  // True when the next shot's slot has no connection yet and the preconnect window has not
  // reached that shot: the wait ends when it does.
  bool PreconnectPending() const {
    return preconnect_ && !firing_done_ && m_next_ < m_end_ && free_top_ > 0 &&
           now_ >= preconnect_pause_until_ && slots_[free_stack_[free_top_ - 1]].conn == kConnNone;
  }

  // The pacing window (load.pacing, docs/engine.md "Pacing"): the timed wake-up for the next
  // shot (due after now_) is at the last of this worker's shots due within one quantum of it,
  // so one wake-up fires them all — none before its time, none more than a quantum late —
  // and a shot alone in its window is fired on time. Only as many shots as there are free
  // instances count (in the "delay" overload mode the rest would wait anyway). Measured
  // (docs/engine.md "Open model: the pacing window"): at 5,000/s on one worker, 200 µs
  // apart, a 250 µs quantum woke 0.74 times per shot; with the window, 0.5.
  int64_t PacedWake() const {
    const int64_t limit = std::min(next_t_ + sh_->pacing_ns, sh_->stop_ns - 1);
    const uint64_t room =
        sh_->overload_drop ? kPaceScanMax : std::min<uint64_t>(free_top_, kPaceScanMax);
    int64_t wake = next_t_;
    for (uint64_t m = m_next_ + 1; m < m_end_ && m - m_next_ < room; ++m) {
      const int64_t t = PeekShotTime(m);
      if (t > limit) {
        break;
      }
      wake = t;
    }
    return wake;
  }

  void Wait() {
    // Open model with every instance busy: a shot may be waiting for the next free one, so
    // the short bound holds even with kernel stamps.
    const bool shot_may_wait = sh_->shots.model == ShotSource::Model::kRps && free_top_ == 0;
    const int64_t busy_ns =
        rx_timestamps_ && !shot_may_wait ? kMaxWaitBusyStampedNs : kMaxWaitBusyNs;
    int64_t deadline = now_ + (net_pending_ != 0 ? busy_ns : kMaxWaitIdleNs);
    if (!firing_done_) {
      if (sh_->shots.model == ShotSource::Model::kRps) {
        if (m_next_ < m_end_ && (free_top_ > 0 || sh_->overload_drop)) {
          // Pacing: one wake-up per quantum at most fires every shot due by then (never
          // early). A shot already due (kMaxFirePerPass reached) is fired at once.
          deadline = std::min(
              deadline, next_t_ <= now_ ? now_ : std::max(PacedWake(), fired_at_ + sh_->pacing_ns));
        }
        if (!taken_.empty()) {
          const int64_t t = taken_.front().due;
          deadline = std::min(deadline, t <= now_ ? now_ : std::max(t, fired_at_ + sh_->pacing_ns));
        }
      } else {
        if (ready_count_ > 0) {
          deadline = now_;
        }
        if (m_next_ < m_end_) {
          deadline = std::min(deadline, next_t_);
        }
      }
      if (sh_->hard_stop) {
        deadline = std::min(deadline, sh_->stop_ns);
      }
    }
    if (!delayed_.empty()) {
      deadline = std::min(deadline, delayed_.front().due);
    }
    if (!thinking_.empty()) {
      deadline = std::min(deadline, thinking_.front().due);
    }
    if (seconds_ != nullptr) {
      deadline = std::min(deadline, seconds_->next_deadline());  // hand a finished second over
    }
    if (to_head_ != kNil) {
      deadline = std::min(deadline, slots_[to_head_].deadline);
    }
    if (PreconnectPending()) {
      deadline = std::min(
          deadline,
          std::max(now_ + 1, next_t_ - (next_t_ <= 0 ? kPreconnectStartNs : kPreconnectAheadNs)));
    }
    if (deadline <= now_) {
      // Something is due already: no sleeping. Without network there is nothing to tell the
      // kernel (the dummy path makes no syscall at all); otherwise submit and reap what is
      // ready (DEFER_TASKRUN posts completions only when we enter).
      if (transport_ != INCARNE_NIB_TRANSPORT_NONE) {
        sends_in_pass_ = 0;
        ready_sends_in_pass_ = 0;
        submit_ns_ = MonoNs() - sh_->origin_mono_ns;
        uring_->SubmitAndWait(0, now_ + sh_->origin_mono_ns, now_ + sh_->origin_mono_ns, 0);
      }
      return;
    }
    unsigned wait_nr = static_cast<unsigned>(std::clamp<uint64_t>(net_pending_ / 2, 1, kWaitBatch));
    if (rx_timestamps_ && sh_->shots.model == ShotSource::Model::kRps && free_top_ > 0) {
      // Open model with a free slot: replies need not wake the worker — they are stamped by
      // the kernel and free nothing a shot is waiting for; they are handled at the next shot
      // (or after at most kMaxWaitBusyNs, or once a full batch is in). At moderate rates this
      // halves the wake-ups (one per shot instead of one per shot and one per reply).
      wait_nr = kWaitBatch;
    }
    if (conn_waits_ != 0) {
      // A hit waits for its connection: its connect's (or handshake step's) completion must
      // be handled when it arrives, not at the next wake-up. On loopback the connect completes
      // inside this enter, so the enter returns at once and the request goes out in the next
      // one; measured before this, a fresh-connection hit at 500 rps waited ~1 ms here.
      wait_nr = 1;
    }
    // The SENDs this enter carries complete inside it (inline, on a socket with room): their
    // CQEs are there at once and must not count towards the replies the wait is for.
    wait_nr += sends_in_pass_;
    if (ready_sends_in_pass_ != 0) {
      // A connection's last setup flight is among them (TLS 1.3: the client's Finished, after
      // which no server bytes need come): its completion is what a hit waits for, so the wait
      // ends at the first completion — on a socket with room, at once, with the inline SENDs'
      // CQEs posted (not waiting for all of them: one stuck behind a full socket would hold
      // the request). Counted as a reply instead, the request waited for the server's session
      // ticket or the wake-up bound — up to ~1.2 ms per TLS handshake (measured 2026-12-07,
      // tls_fresh_conn.sh with a trace of the waits).
      wait_nr = 1;
    }
    sends_in_pass_ = 0;
    ready_sends_in_pass_ = 0;
    last_wait_nr_ = wait_nr;
    ++stats_->waits;
    submit_ns_ = MonoNs() - sh_->origin_mono_ns;
    uring_->SubmitAndWait(wait_nr, deadline + sh_->origin_mono_ns, now_ + sh_->origin_mono_ns,
                          rx_timestamps_ ? 0 : kMinWaitNs);
  }

  void UpdateCounters() {
    if (sh_->shots.model == ShotSource::Model::kRps) {
      if (m_next_ >= m_end_ || next_t_ > now_) {
        due_ = m_next_ - taken_.size();  // shots held for later (take-ahead) are not due yet
      } else if (now_ - counters_at_ >= kCounterPeriodNs) {
        // Behind: count our shots already due (binary search over the local index).
        uint64_t lo = m_next_;
        uint64_t hi = m_end_;  // first local index not yet due lies in (lo, hi]
        while (lo + 1 < hi) {
          uint64_t mid = lo + (hi - lo) / 2;
          if (ShotTime(mid) <= now_) {
            lo = mid;
          } else {
            hi = mid;
          }
        }
        due_ = hi;
        counters_at_ = now_;
      }
    } else {
      due_ = fired_;
    }
    opt_.ring->SetCounters(due_, fired_, inflight_);
  }

  // ---------------------------------------------------------------- firing

  void FireRps() {
    uint32_t n = 0;
    // Take-ahead: first the held shots whose time came, then a free slot takes each next
    // shot at once (firing it if due, else holding it) — phantom's instances, which is what
    // Tank's instances stpd relies on (docs/engine.md "Shots and the models").
    while (!taken_.empty() && taken_.front().due <= now_ && n < kMaxFirePerPass) {
      const DelayItem d = taken_.front();
      std::pop_heap(taken_.begin(), taken_.end(), DelayLater());
      taken_.pop_back();
      const uint64_t m = slots_[d.slot].taken_m;
      const uint64_t i = slice_.first + slice_.stride * m;
      StartHit(d.slot, d.due, i, sh_->ammo_shared ? i : m);
      ++n;
    }
    while (m_next_ < m_end_ && n < kMaxFirePerPass) {
      const int64_t t = next_t_;
      if (t > now_ && !(sh_->take_ahead && free_top_ > 0)) {
        break;
      }
      if (t >= sh_->stop_ns) {
        m_end_ = m_next_;  // planned after the end: never fired
        break;
      }
      const uint64_t i = slice_.first + slice_.stride * m_next_;
      if (free_top_ == 0) {
        if (!sh_->overload_drop) {
          break;  // delay: the shot waits for a free instance, its planned time kept
        }
        RecordDrop(t, i);
      } else if (t > now_) {
        const uint32_t s = free_stack_[--free_top_];  // take-ahead: held until t
        slots_[s].taken_m = m_next_;
        taken_.push_back(DelayItem{t, s});
        std::push_heap(taken_.begin(), taken_.end(), DelayLater());
      } else if (plain_none_) {
        const uint32_t s = free_stack_[--free_top_];
        StartPlainHit(s, t, i, sh_->ammo_shared ? i : m_next_);
      } else {
        const uint32_t s = free_stack_[--free_top_];
        StartHit(s, t, i, sh_->ammo_shared ? i : m_next_);
      }
      ++n;
      if (++m_next_ < m_end_) {
        next_t_ = NextShotTime(m_next_);
      }
    }
    if (n != 0) {
      fired_at_ = now_;
    }
    if (m_next_ >= m_end_ && taken_.empty()) {
      firing_done_ = true;
    }
  }

  void FireInstances() {
    if (now_ >= sh_->stop_ns) {
      StopFiring();
      return;
    }
    while (m_next_ < m_end_ && next_t_ <= now_) {
      if (next_t_ >= sh_->stop_ns) {
        m_end_ = m_next_;
        break;
      }
      Slot& sl = slots_[m_next_];
      sl.active = true;
      PushReady(static_cast<uint32_t>(m_next_));
      if (++m_next_ < m_end_) {
        next_t_ = NextShotTime(m_next_);
      }
    }
    uint32_t n = std::min(ready_count_, kMaxFirePerPass);
    while (n-- > 0) {
      if (hits_started_ >= hit_end_ && sessions_ == nullptr) {
        StopFiring();
        return;
      }
      const uint32_t s = ready_[ready_head_];
      ready_head_ = ready_head_ + 1 == ready_.size() ? 0 : ready_head_ + 1;
      --ready_count_;
      uint64_t h = hits_started_;
      if (sessions_ == nullptr) {
        ++hits_started_;
      } else if (!slots_[s].in_session) {
        // A session takes all its steps from the hit cap when it begins (one that ends early
        // still counts them all), so the cap is a whole number of sessions; no room for the
        // next one: this instance ends. A begun session always runs to its end.
        const uint32_t steps = sessions_->Steps(NextSession());
        if (hits_started_ + steps > hit_end_) {
          slots_[s].active = false;
          continue;
        }
        hits_started_ += steps;
      }
      const uint64_t i = slice_.first + slice_.stride * h;
      StartHit(s, now_, i, sh_->ammo_shared ? i : h);
    }
    if (m_next_ >= m_end_ && ready_count_ == 0 && inflight_ == 0 && thinking_.empty()) {
      firing_done_ = true;  // every instance this worker owns ended (or none started)
    }
  }

  void PushReady(uint32_t s) {
    uint32_t pos = ready_head_ + ready_count_;
    if (pos >= ready_.size()) {
      pos -= static_cast<uint32_t>(ready_.size());
    }
    ready_[pos] = s;
    ++ready_count_;
  }

  void RecordDrop(int64_t planned, uint64_t i) {
    HitRecord rec{};
    rec.planned = static_cast<uint64_t>(planned);
    rec.start = static_cast<uint64_t>(now_);
    rec.done = static_cast<uint64_t>(now_);
    rec.net_code = kNetDropped;
    rec.worker = static_cast<uint8_t>(opt_.index);
    if (sh_->requests.count != 0) {
      incarne_nib_request req{};
      sh_->requests.get(sh_->requests.ctx, (sh_->ammo_shared ? i : m_next_) % sh_->requests.count,
                        &req);
      rec.tag = req.tag;
    }
    ++fired_;
    ++stats_->shots_fired;
    ++stats_->dropped_777;
    Emit(rec);
  }

  // Every finished hit: into this second's aggregates (never lost), then its raw record
  // through the result ring when results.hits (or phout) wants it.
  void Emit(const HitRecord& rec) {
    ++stats_->hits_done;
    if (seconds_ == nullptr) {
      if (!opt_.ring->Push(rec)) {
        ++stats_->ring_full;
      }
      return;
    }
    seconds_->Add(rec);
    if (!opt_.ring->WantRaw(rec) || opt_.ring->TryPush(rec)) {
      return;
    }
    RingFull(rec);
  }

  // The result ring is full. Open model (rps, stpd): shots keep their times, so the raw record
  // is counted lost (its hit is in the aggregates). Closed model: the worker waits for room —
  // the next hits start later, a generator stall counted in ring_wait_ns — at most
  // kRingWaitMaxNs per record (a collector that stopped draining), or until a stop-now.
  __attribute__((noinline)) void RingFull(const HitRecord& rec) {
    if (sh_->shots.model == ShotSource::Model::kInstances && now_ >= ring_stuck_until_) {
      const int64_t t0 = MonoNs();
      bool pushed = false;
      int64_t t = t0;
      while (!pushed && t - t0 < kRingWaitMaxNs && sh_->stop.load(std::memory_order_relaxed) < 2) {
        opt_.ring->Publish();
        const timespec ts = {0, kRingWaitStepNs};
        nanosleep(&ts, nullptr);
        pushed = opt_.ring->TryPush(rec);
        t = MonoNs();
      }
      stats_->ring_wait_ns += static_cast<uint64_t>(t - t0);
      opt_.ring->AddRingWait(static_cast<uint64_t>(t - t0));
      if (pushed) {
        return;
      }
      // Stuck: no more waiting for a while, every raw record in between is counted lost.
      ring_stuck_until_ = now_ + kRingWaitMaxNs;
    }
    opt_.ring->CountDropped();
    ++stats_->ring_full;
  }

  // `shot`: the hit is a shot of the schedule (false: the next step of a session in the open
  // model, which the schedule does not count).
  void StartHit(uint32_t s, int64_t planned, uint64_t i, uint64_t seq, bool shot = true) {
    Slot& sl = slots_[s];
    sl.rec = HitRecord{};
    sl.rec.planned = static_cast<uint64_t>(planned);
    sl.rec.start = static_cast<uint64_t>(now_);
    sl.rec.worker = static_cast<uint8_t>(opt_.index);
    sl.req = incarne_nib_request{};
    if (sessions_ != nullptr && !sl.in_session) {
      BeginSession(s, planned, i);
    } else if (data_ != nullptr && sessions_ == nullptr) {
      LoadDataRow(s);  // without sessions every hit is an iteration
    }
    if (sh_->requests.count != 0) {
      sl.record = sessions_ != nullptr ? sessions_->Step(sl.sess, sl.step).record
                                       : seq % sh_->requests.count;
      sh_->requests.get(sh_->requests.ctx, sl.record, &sl.req);
      sl.rec.tag = sl.req.tag;
    }
    sl.req.index = i;
    if (answ_buf_ != nullptr) {
      answ_len_[s] = 0;
    }
    sl.assert_why = nullptr;
    sl.scan = scan_buf_ != nullptr && rules_->NeedsReply(sl.rec.tag);
    if (sl.scan) {
      scan_len_[s] = 0;
    }
    ++inflight_;
    if (shot || sh_->shots.model == ShotSource::Model::kInstances) {
      ++fired_;
      ++stats_->shots_fired;
    }
    ++sl.iterations;
    sl.templated = false;
    if (tmpl_buf_ != nullptr && sh_->requests.count != 0) {
      if (const scenario::Template* t = rules_->TemplateOf(sl.record); t != nullptr) {
        if (const int code = AssembleRequest(s, *t); code != 0) {
          EndHit(s, code, false);
          return;
        }
      }
    }
    if (ck_buf_ != nullptr && sh_->requests.count != 0) {
      if (const int code = AddCookies(s); code != 0) {
        EndHit(s, code, false);
        return;
      }
    }

    if (transport_ == INCARNE_NIB_TRANSPORT_NONE) {
      if (!sl.opened) {
        sl.opened = true;
        if (nib_->on_open != nullptr) {
          incarne_nib_out out{};
          int r = nib_->on_open(wctx_, sl.state, &out);
          if (r < 0) {
            sl.opened = false;
            EndHit(s, -r, false, /*by_nib=*/true);
            return;
          }
        }
      }
      incarne_nib_out out{};
      int r = nib_->on_start(wctx_, sl.state, &sl.req, &out);
      sl.rec.connected = sl.rec.start;
      sl.rec.sent = sl.rec.start;
      StartedNone(s, r, out);
      return;
    }

    if (sl.conn == kConnNone) {
      // The hit begins with its connect, which is now — not at the start of the pass
      // (now_): whatever the pass did first (the shots before this one, their socket()s,
      // the close of a lingering connection) is this shot's lag, not its connect phase.
      // Measured with one connection per hit at 500/s (http_fresh_conn.sh, quiet box): a
      // lingering close reaped in the firing pass put ~30 µs into each connect phase.
      MoveStart(sl, static_cast<uint64_t>(std::max(now_, MonoNs() - sh_->origin_mono_ns)));
    }
    ++net_pending_;
    // The budget counts from the hit's start. A later hit of this pass on an open connection
    // (start = now_) can be due a few µs before this one in the FIFO: it times out that much
    // late, which no timeout (whole milliseconds at least) notices.
    sl.deadline = static_cast<int64_t>(sl.rec.start) + sh_->timeout_ns;
    TimeoutAppend(s);
    if (sl.conn == kConnReady) {
      BeginOnConnection(s);
    } else {
      // A connection still being set up (a preconnect in flight) is as fresh as one opened
      // on demand: a failure on it is not a stale keep-alive, so no retry.
      sl.preconnected = false;
      sl.hit = kHitWaitConn;
      ++conn_waits_;
      if (sl.conn == kConnNone) {
        Connect(s);
      }
    }
  }

  // The hit began at `t` (≥ its start so far), where its first syscall was: the time before
  // is the shot's lag (docs/results.md "Phases"). In the closed model planned = start.
  static void MoveStart(Slot& sl, uint64_t t) {
    if (sl.rec.planned == sl.rec.start) {
      sl.rec.planned = t;
    }
    sl.rec.start = t;
  }

  // A hit without a network: the nib's on_start returned `r` with `out`.
  void StartedNone(uint32_t s, int r, const incarne_nib_out& out) {
    Slot& sl = slots_[s];
    if (r == INCARNE_NIB_DONE) {
      sl.rec.proto_code = out.proto_code;
      sl.rec.size_in = out.size_in;
      if (out.delay_ns == 0) {
        sl.rec.first_byte = sl.rec.start;
        EndHit(s, 0, false);
      } else {
        sl.hit = kHitDelayed;
        delayed_.push_back(DelayItem{now_ + static_cast<int64_t>(out.delay_ns), s});
        std::push_heap(delayed_.begin(), delayed_.end(), DelayLater());
      }
    } else {
      EndHit(s, r < 0 ? -r : EINVAL, false, r < 0);  // WANT_RECV without a network: a nib bug
    }
  }

  // StartHit, and EndHit when the nib completes the hit at once, for a shot of the open model
  // on a worker where nothing but the nib can act on a hit (plain_none_: no network, no rules,
  // no answ; the slot already opened): the same record, counters and nib calls, with the
  // checks for those features made once at Init instead of per hit (docs/engine.md "Workers").
  void StartPlainHit(uint32_t s, int64_t planned, uint64_t i, uint64_t seq) {
    Slot& sl = slots_[s];
    if (__builtin_expect(!sl.opened, 0)) {
      StartHit(s, planned, i, seq);  // the slot's first hit: on_open
      return;
    }
    sl.rec = HitRecord{};
    sl.rec.planned = static_cast<uint64_t>(planned);
    sl.rec.start = static_cast<uint64_t>(now_);
    sl.rec.worker = static_cast<uint8_t>(opt_.index);
    sl.req = incarne_nib_request{};
    if (sh_->requests.count != 0) {
      sl.record = seq % sh_->requests.count;
      sh_->requests.get(sh_->requests.ctx, sl.record, &sl.req);
      sl.rec.tag = sl.req.tag;
    }
    sl.req.index = i;
    sl.assert_why = nullptr;
    sl.scan = false;
    sl.templated = false;
    ++inflight_;
    ++fired_;
    ++stats_->shots_fired;
    ++sl.iterations;
    incarne_nib_out out{};
    const int r = nib_->on_start(wctx_, sl.state, &sl.req, &out);
    sl.rec.connected = sl.rec.start;
    sl.rec.sent = sl.rec.start;
    if (__builtin_expect(r != INCARNE_NIB_DONE || out.delay_ns != 0, 0)) {
      StartedNone(s, r, out);
      return;
    }
    // EndHit(s, 0, false) with what plain_none_ rules out left out.
    sl.rec.proto_code = out.proto_code;
    sl.rec.size_in = out.size_in;
    sl.rec.first_byte = sl.rec.start;
    sl.rec.done = static_cast<uint64_t>(EventTime(sl.rec.first_byte));
    Emit(sl.rec);
    --inflight_;
    sl.hit = kHitNone;
    sl.send_len = 0;
    free_stack_[free_top_++] = s;
  }

  // The hit's connection is ready (since `ready_at`, run-relative ns; -1: now): the nib frames
  // the request.
  void BeginOnConnection(uint32_t s, int64_t ready_at = -1) {
    Slot& sl = slots_[s];
    if (sl.hit == kHitWaitConn) {
      --conn_waits_;
    }
    sl.hit = kHitActive;
    // Never before the start: a hit that opened its connection started at a clock read after
    // now_ (StartHit), and a UDP "connect" is ready at once.
    sl.rec.connected =
        std::max(sl.rec.start, static_cast<uint64_t>(ready_at < 0 ? now_ : ready_at));
    if (sl.used_before) {
      sl.rec.flags |= kHitReused;
    } else if (sl.tls_resumed) {
      sl.rec.flags |= kHitTlsResumed;  // the hit whose connect phase was the resumed handshake
    }
    incarne_nib_out out{};
    int r = nib_->on_start(wctx_, sl.state, &sl.req, &out);
    if ((out.flags & INCARNE_NIB_OUT_LAST_REQUEST) != 0) {
      sl.announced_close = true;
    }
    HitResult(s, r, out);
  }

  // Ends the hit on slot s with `code` (0 ok): the record goes out, the slot is released.
  // `by_nib`: `code` is the negative status the nib's last data-path call just returned (its
  // last_error, if any, explains it; nothing has called the nib since).
  void EndHit(uint32_t s, int code, bool close, bool by_nib = false) {
    Slot& sl = slots_[s];
    sl.rec.done = static_cast<uint64_t>(EventTime(sl.rec.first_byte));
    const bool replied = code == 0;
    if (code == 0 && rules_ != nullptr && rules_->Touches(sl.rec.tag)) {
      code = CheckRules(s);
    }
    if (replied && !jars_.empty() && sl.scan) {
      if (const int c = TakeCookies(s); c != 0 && code == 0) {
        code = c;
      }
    }
    sl.rec.net_code = static_cast<uint16_t>(code);
    if (sl.hit == kHitWaitConn || sl.hit == kHitActive) {
      TimeoutRemove(s);
      --net_pending_;
    }
    if (sl.hit == kHitWaitConn) {
      --conn_waits_;
    }
    Emit(sl.rec);
    if (answ_buf_ != nullptr && AnswWanted(sh_->answ_filter, sl.rec.net_code, sl.rec.proto_code)) {
      PushAnsw(s, by_nib);  // before CloseConn: on_close would end last_error's validity
    }
    --inflight_;
    sl.hit = kHitNone;
    sl.send_len = 0;
    if (transport_ != INCARNE_NIB_TRANSPORT_NONE) {
      if (close || (code != 0 && !ScenarioCode(code))) {
        // The request said "Connection: close" and the reply came: the server closes now;
        // closing first ourselves would leave the TIME_WAIT on this side (docs/http.md).
        CloseConn(s, /*linger=*/code == 0 && sl.announced_close);
      } else {
        sl.used_before = true;
      }
    }
    if (sl.in_session && NextStep(s, code)) {
      return;  // the instance stays with its session: the next step follows its think time
    }
    if (sh_->shots.model == ShotSource::Model::kRps) {
      free_stack_[free_top_++] = s;
    } else if (sl.active && !firing_done_) {
      PushReady(s);
    }
  }

  // ---------------------------------------------------------------- sessions

  // The session this worker begins next (its k-th: first + stride·k, mod the table).
  uint64_t NextSession() const {
    return (slice_.first + slice_.stride * sessions_begun_) % sessions_->count();
  }

  // Slot s takes its next session (the hit starting now is its first step); with a data file
  // whose rows go round-robin, the session's row is loaded.
  void BeginSession(uint32_t s, int64_t planned, uint64_t i) {
    Slot& sl = slots_[s];
    sl.sess = NextSession();
    ++sessions_begun_;
    sl.in_session = true;
    sl.step = 0;
    sl.sess_net = 0;
    sl.sess_index = i;
    sl.sess_planned = static_cast<uint64_t>(planned);
    sl.sess_start = static_cast<uint64_t>(now_);
    sl.sess_out = 0;
    sl.sess_in = 0;
    if (!jars_.empty()) {
      jars_[s].Clear();  // a session is a visit: it starts without cookies
    }
    if (data_ != nullptr) {
      LoadDataRow(s);
    }
  }

  // After slot s's step ended with `code`: true when the session goes on (the slot is
  // parked for the next step's think time), false when it ended — then its session record is
  // emitted (unless the run is stopping: a cut session records nothing).
  bool NextStep(uint32_t s, int code) {
    Slot& sl = slots_[s];
    sl.sess_out += sl.rec.size_out;
    sl.sess_in += sl.rec.size_in;
    if (code != 0 && sl.sess_net == 0) {
      sl.sess_net = static_cast<uint16_t>(code);
    }
    const uint32_t steps = sessions_->Steps(sl.sess);
    if (stopped_) {
      sl.in_session = false;
      return false;
    }
    if (sl.step + 1 < steps && (code == 0 || !rules_->stop_on_fail())) {
      ++sl.step;
      const int64_t sleep = sessions_->Step(sl.sess, sl.step).sleep_ns;
      if (sleep == 0 && sh_->shots.model == ShotSource::Model::kInstances) {
        PushReady(s);
      } else {
        thinking_.push_back(DelayItem{now_ + sleep, s});
        std::push_heap(thinking_.begin(), thinking_.end(), DelayLater());
      }
      return true;
    }
    sl.in_session = false;
    const uint32_t tag = sessions_->tag[sl.sess];
    if (tag != scenario::kNoSessionTag) {
      // The session record: from its first step's start to its last step's end, the first
      // failed step's net code and the last step's status (docs/scenario.md).
      HitRecord r{};
      r.planned = sl.sess_planned;
      r.start = sl.sess_start;
      r.connected = sl.sess_start;
      r.sent = sl.sess_start;
      r.first_byte = sl.rec.done;
      r.done = sl.rec.done;
      r.size_out = static_cast<uint32_t>(std::min<uint64_t>(sl.sess_out, UINT32_MAX));
      r.size_in = static_cast<uint32_t>(std::min<uint64_t>(sl.sess_in, UINT32_MAX));
      r.net_code = sl.sess_net;
      r.proto_code = sl.rec.proto_code;
      r.tag = static_cast<uint16_t>(tag);
      r.worker = static_cast<uint8_t>(opt_.index);
      Emit(r);
    }
    return false;
  }

  // Think times that ended: the closed model's instance is ready to fire its next step; the
  // open model's starts it now (the step is no shot of the schedule).
  void ExpireThinking() {
    while (!thinking_.empty() && thinking_.front().due <= now_) {
      const uint32_t s = thinking_.front().slot;
      std::pop_heap(thinking_.begin(), thinking_.end(), DelayLater());
      thinking_.pop_back();
      if (sh_->shots.model == ShotSource::Model::kInstances) {
        PushReady(s);
      } else {
        StartHit(s, now_, slots_[s].sess_index, 0, /*shot=*/false);
      }
    }
  }

  // [scenario.data]: the slot's row into its variables — rows = "instance": row
  // (instance mod rows) once; "round_robin": the next row of this worker's share.
  void LoadDataRow(uint32_t s) {
    Slot& sl = slots_[s];
    uint64_t row = 0;
    const uint64_t instance = uint64_t{opt_.index} + uint64_t{sh_->workers} * s;
    if (!rules_->data_round_robin()) {
      if (sl.data_loaded) {
        return;
      }
      sl.data_loaded = true;
      row = instance % data_->rows();
    } else {
      row = (opt_.index + uint64_t{sh_->workers} * data_rows_taken_++) % data_->rows();
    }
    const size_t first = size_t{rules_->max_vars()} * s;
    char* values = var_values_ + first * rules_->max_value();
    uint16_t* lens = &var_lens_[first];
    const std::vector<uint32_t>& vars = rules_->data_vars();
    for (size_t c = 0; c < vars.size(); ++c) {
      const std::string_view v = data_->Cell(row, c);
      memcpy(values + size_t{vars[c]} * rules_->max_value(), v.data(), v.size());
      lens[vars[c]] = static_cast<uint16_t>(v.size());
    }
  }

  // ---------------------------------------------------------------- cookies

  static int64_t RealSeconds() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
  }

  // The hit starting on slot s carries the jar's cookies for its host and path: the request
  // is copied with its Cookie header into the slot's cookie buffer. 0, or EMSGSIZE.
  int AddCookies(uint32_t s) {
    Slot& sl = slots_[s];
    char* out = ck_buf_ + ck_stride_ * s;
    const int64_t n = scenario::InsertCookies(
        jars_[s], std::string_view(static_cast<const char*>(sl.req.data), sl.req.len),
        RealSeconds(), out, ck_cap_);
    if (n < 0) {
      sl.assert_why = "cookies: the request with its Cookie header is longer than its buffer";
      return EMSGSIZE;
    }
    if (n > 0) {
      sl.req.data = out;
      sl.req.len = static_cast<uint32_t>(n);
      sl.templated = true;  // sent from the buffer, never with sendfile
    }
    return 0;
  }

  // The reply of the hit ending on slot s: its Set-Cookie lines into the jar. 0, or
  // EOVERFLOW (a cookie over the jar's limits; the reason in the slot).
  int TakeCookies(uint32_t s) {
    Slot& sl = slots_[s];
    char* reply = reinterpret_cast<char*>(scan_buf_ + scan_stride_ * s);
    const scenario::ReplyView view = scenario::SplitReply(reply, std::min(scan_len_[s], scan_cap_));
    if (scenario::TakeSetCookies(
            &jars_[s], view.headers,
            std::string_view(static_cast<const char*>(sl.req.data), sl.req.len),
            RealSeconds()) != 0) {
      sl.assert_why =
          "cookies: a Set-Cookie over the jar's limits (16 cookies; name 64, value "
          "1024, Path and Domain 128 bytes)";
      return EOVERFLOW;
    }
    return 0;
  }

  // Net codes set by the scenario machinery, not by the network: the connection stays
  // (docs/scenario.md): an assert (314), a capture over max_value (EOVERFLOW), a template
  // whose variable is not set yet (ENOENT) or that does not fit its buffer (EMSGSIZE).
  static bool ScenarioCode(int code) {
    return code == kNetAssertion || code == EOVERFLOW || code == ENOENT || code == EMSGSIZE;
  }

  // The templated request of the hit starting on slot s, assembled into the slot's buffer
  // (sl.req then points there): 0, or the net code that fails the hit before it is sent.
  int AssembleRequest(uint32_t s, const scenario::Template& t) {
    Slot& sl = slots_[s];
    char* out = tmpl_buf_ + tmpl_stride_ * s;
    scenario::TemplateContext ctx;
    if (var_values_ != nullptr) {
      const size_t first = size_t{rules_->max_vars()} * s;
      ctx.values = var_values_ + first * rules_->max_value();
      ctx.lens = &var_lens_[first];
      ctx.max_value = rules_->max_value();
    }
    ctx.instance = uint64_t{opt_.index} + uint64_t{sh_->workers} * s;
    ctx.iteration = sl.iterations;
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ctx.now_ms = int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
    ctx.rng = &rng_;
    const int64_t n =
        scenario::AssembleTemplate(t, static_cast<const char*>(sl.req.data), ctx, out, tmpl_cap_);
    if (n < 0) {
      sl.assert_why = n == -ENOENT ? "template: a variable is not set yet"
                                   : "template: the request is longer than its buffer";
      return static_cast<int>(-n);
    }
    sl.req.data = out;
    sl.req.len = static_cast<uint32_t>(n);
    sl.templated = true;
    return 0;
  }

  // [[rules]] over the hit ending on slot s (its record complete but for net_code): 0, or
  // kNetAssertion / EOVERFLOW with the reason in the slot (scenario::Verdict). A failed
  // assert keeps the connection: the reply was complete and well-formed, only not what the
  // rule expects.
  int CheckRules(uint32_t s) {
    Slot& sl = slots_[s];
    char* reply = nullptr;
    uint32_t len = 0;
    if (sl.scan) {
      reply = reinterpret_cast<char*>(scan_buf_ + scan_stride_ * s);
      len = std::min(scan_len_[s], scan_cap_);
    }
    scenario::VarStore vars;
    if (var_values_ != nullptr) {
      const size_t first = size_t{rules_->max_vars()} * s;
      vars.values = var_values_ + first * rules_->max_value();
      vars.lens = &var_lens_[first];
    }
    const int64_t took = static_cast<int64_t>(sl.rec.done - sl.rec.start);
    const scenario::Verdict v = rules_->Check(sl.rec.tag, sl.rec.proto_code, took, reply, len,
                                              var_values_ != nullptr ? &vars : nullptr);
    sl.assert_why = v.why;
    return v.net_code;
  }

  // answ log: the entry of the hit ending on slot s (Push keeps the first kAnswReplyMax
  // captured bytes). The entry's size_in is what its reply section was cut from, so the
  // documented parse rule holds (docs/results.md §10); the hit record keeps its own size_in:
  //   - raw capture: the bytes received, which is the record's size_in;
  //   - tapped (tap_replies): the bytes the nib decoded — the record's size_in too when the
  //     hit completed, but a hit failed mid-reply may still count received bytes there;
  //   - a hit the nib failed with a reason (last_error, taken now: nothing has called the nib
  //     since, copied into the slot's buffer): "incarne: <reason>" and its length.
  void PushAnsw(uint32_t s, bool by_nib) {
    const Slot& sl = slots_[s];
    uint8_t* buf = answ_buf_ + size_t{s} * kAnswReplyMax;
    const uint64_t record = sh_->requests.count != 0 ? sl.record : kAnswNoRecord;
    if (sl.assert_why != nullptr) {
      // A failed assert: "incarne: <reason>\n", then as much of the reply as fits.
      static constexpr char kPrefix[] = "incarne: ";
      constexpr uint32_t kPrefixLen = sizeof(kPrefix) - 1;
      const uint32_t why_len =
          static_cast<uint32_t>(strnlen(sl.assert_why, kAnswReplyMax - kPrefixLen - 1));
      const uint32_t head = kPrefixLen + why_len + 1;
      const uint32_t keep = std::min(std::min(answ_len_[s], kAnswReplyMax), kAnswReplyMax - head);
      memmove(buf + head, buf, keep);
      memcpy(buf, kPrefix, kPrefixLen);
      memcpy(buf + kPrefixLen, sl.assert_why, why_len);
      buf[head - 1] = '\n';
      HitRecord rec = sl.rec;
      rec.size_in = head + keep;
      opt_.answ->Push(rec, record, buf, head + keep);
      return;
    }
    const char* why = by_nib && nib_last_error_ != nullptr ? nib_last_error_(wctx_) : nullptr;
    const bool reason = why != nullptr && why[0] != '\0';
    if (!reason && answ_raw_) {
      opt_.answ->Push(sl.rec, record, buf, answ_len_[s]);
      return;
    }
    if (reason) {
      static constexpr char kPrefix[] = "incarne: ";
      constexpr uint32_t kPrefixLen = sizeof(kPrefix) - 1;
      const uint32_t why_len = static_cast<uint32_t>(strnlen(why, kAnswReplyMax - kPrefixLen));
      memcpy(buf, kPrefix, kPrefixLen);
      memcpy(buf + kPrefixLen, why, why_len);
      answ_len_[s] = kPrefixLen + why_len;
    }
    HitRecord rec = sl.rec;
    rec.size_in = answ_len_[s];
    opt_.answ->Push(rec, record, buf, answ_len_[s]);
  }

  void ExpireDelayed() {
    while (!delayed_.empty() && delayed_.front().due <= now_) {
      const uint32_t s = delayed_.front().slot;
      std::pop_heap(delayed_.begin(), delayed_.end(), DelayLater());
      delayed_.pop_back();
      slots_[s].rec.first_byte = static_cast<uint64_t>(now_);
      EndHit(s, 0, false);
    }
  }

  void ExpireTimeouts() {
    while (to_head_ != kNil && slots_[to_head_].deadline <= now_) {
      EndHit(to_head_, ETIMEDOUT, true);
    }
  }

  // Second signal: every hit in flight ends now as ECANCELED (counts stay consistent).
  void AbortAll() {
    for (uint32_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s].hit != kHitNone) {
        EndHit(s, ECANCELED, true);
      }
    }
    delayed_.clear();
    firing_done_ = true;
  }

  // ---------------------------------------------------------------- timeout list

  void TimeoutAppend(uint32_t s) {
    Slot& sl = slots_[s];
    sl.next = kNil;
    sl.prev = to_tail_;
    if (to_tail_ != kNil) {
      slots_[to_tail_].next = s;
    } else {
      to_head_ = s;
    }
    to_tail_ = s;
  }

  void TimeoutRemove(uint32_t s) {
    Slot& sl = slots_[s];
    if (sl.prev != kNil) {
      slots_[sl.prev].next = sl.next;
    } else {
      to_head_ = sl.next;
    }
    if (sl.next != kNil) {
      slots_[sl.next].prev = sl.prev;
    } else {
      to_tail_ = sl.prev;
    }
    sl.prev = sl.next = kNil;
  }

  // ---------------------------------------------------------------- connections

  void Connect(uint32_t s) {
    Slot& sl = slots_[s];
    const int family = sh_->target.ss_family;
    const int type = tcp_ ? SOCK_STREAM : SOCK_DGRAM;
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ConnFailed(s, errno);
      return;
    }
    if (tcp_) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (rx_timestamps_) {
      int one = 1;
      if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0) {
        rx_timestamps_ = false;  // reap time from now on (and ArmRecv uses plain RECV)
      }
    }
    if (!sh_->source_ips.empty()) {
      const sockaddr_storage& src = sh_->source_ips[source_rr_++ % sh_->source_ips.size()];
      int one = 1;
      setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
      const socklen_t len = src.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
      if (bind(fd, reinterpret_cast<const sockaddr*>(&src), len) != 0) {
        const int err = errno;
        close(fd);
        ConnFailed(s, err);
        return;
      }
    }
    sl.fd = fd;
    sl.gen = (sl.gen + 1) & kGenerationMask;
    ++stats_->connects;
    if (!tcp_) {
      // UDP: connect() only sets the peer; nothing goes on the wire.
      if (connect(fd, reinterpret_cast<const sockaddr*>(&sh_->target), sh_->target_len) != 0) {
        ConnFailed(s, errno);
        return;
      }
      Connected(s);
      return;
    }
    sl.conn = kConnConnecting;
    io_uring_sqe* sqe = uring_->Sqe();
    io_uring_prep_connect(sqe, fd, reinterpret_cast<const sockaddr*>(&sh_->target),
                          sh_->target_len);
    sqe->user_data = PackUserData(UserOp::kConnect, sl.gen, s);
  }

  void Connected(uint32_t s) {
    Slot& sl = slots_[s];
    sl.conn = kConnHandshake;
    sl.used_before = false;
    ArmRecv(s);
    if (sl.state != nullptr) {
      memset(sl.state, 0, state_stride_);
    }
    sl.opened = true;
    incarne_nib_out out{};
    int r = nib_->on_open != nullptr ? nib_->on_open(wctx_, sl.state, &out) : INCARNE_NIB_READY;
    ConnResult(s, r, out);
  }

  // A verdict of on_open / on_recv while the connection is not ready yet.
  void ConnResult(uint32_t s, int r, const incarne_nib_out& out) {
    Slot& sl = slots_[s];
    if (r < 0) {
      ConnFailed(s, -r, /*by_nib=*/true);
      return;
    }
    if (r == INCARNE_NIB_READY) {
      sl.tls_resumed = (out.flags & INCARNE_NIB_OUT_RESUMED) != 0;
    }
    if (out.send != nullptr && out.send_len > 0) {
      sl.ready_after_send = r == INCARNE_NIB_READY;
      StartSend(s, static_cast<const uint8_t*>(out.send), out.send_len, /*conn=*/true);
      return;
    }
    if (r == INCARNE_NIB_READY) {
      ConnReady(s);
    }
  }

  void ConnReady(uint32_t s, int64_t ready_at = -1) {
    Slot& sl = slots_[s];
    sl.conn = kConnReady;
    if (sl.hit == kHitWaitConn) {
      BeginOnConnection(s, ready_at);
    }
  }

  // The connection could not be set up (socket, connect, handshake): the hit waiting on it
  // fails with `code` (`by_nib`: returned by the nib, as for EndHit).
  void ConnFailed(uint32_t s, int code, bool by_nib = false) {
    if (slots_[s].hit == kHitNone && slots_[s].preconnected) {
      preconnect_pause_until_ = now_ + kPreconnectPauseNs;
    }
    if (slots_[s].hit == kHitWaitConn || slots_[s].hit == kHitActive) {
      EndHit(s, code, true, by_nib);
    } else {
      CloseConn(s);
    }
  }

  // A send or receive error on an established connection.
  void ConnError(uint32_t s, int code) {
    if (slots_[s].hit == kHitActive) {
      HitConnFailure(s, code);
    } else {
      ConnFailed(s, code);
    }
  }

  // The connection broke during a hit. A kept-alive connection that fails before any reply
  // byte is retried once on a fresh connection, timings restarted (phantom semantics).
  void HitConnFailure(uint32_t s, int code, bool by_nib = false) {
    Slot& sl = slots_[s];
    const bool was_open = sl.used_before || sl.preconnected;  // idle before this hit
    if (was_open && sl.rec.first_byte == 0 && (sl.rec.flags & kHitRetried) == 0 && tcp_) {
      CloseConn(s);
      ++stats_->retries;
      const uint64_t planned = sl.rec.planned;
      const uint16_t tag = sl.rec.tag;
      sl.rec = HitRecord{};
      sl.rec.planned = planned;
      sl.rec.tag = tag;
      sl.rec.start = static_cast<uint64_t>(now_);
      sl.rec.worker = static_cast<uint8_t>(opt_.index);
      sl.rec.flags = kHitRetried;
      TimeoutRemove(s);
      sl.deadline = now_ + sh_->timeout_ns;
      TimeoutAppend(s);
      if (sl.hit != kHitWaitConn) {
        ++conn_waits_;
      }
      sl.hit = kHitWaitConn;
      sl.send_len = 0;
      Connect(s);
      return;
    }
    EndHit(s, code, true, by_nib);
  }

  // `linger`: the server is about to close (it was told so): hand the fd to a POLLRDHUP
  // that closes it once the server's FIN is in (at most kLingerMaxNs later), so that the
  // server's side holds the TIME_WAIT. The slot is free at once either way.
  void CloseConn(uint32_t s, bool linger = false) {
    Slot& sl = slots_[s];
    if (sl.fd >= 0) {
      if (linger) {
        io_uring_sqe* sqe = uring_->Sqe();
        io_uring_prep_poll_add(sqe, sl.fd, POLLRDHUP | POLLIN);
        sqe->user_data = PackUserData(UserOp::kLinger, 0, static_cast<uint32_t>(sl.fd));
        sqe->flags |= IOSQE_IO_LINK;
        sqe = uring_->Sqe();
        io_uring_prep_link_timeout(sqe, &linger_ts_, 0);
        sqe->user_data = PackUserData(UserOp::kLingerTimeout, 0, 0);
        ++lingering_;
      } else {
        shutdown(sl.fd, SHUT_RDWR);
        close(sl.fd);
      }
      sl.fd = -1;
      sl.gen = (sl.gen + 1) & kGenerationMask;
    }
    sl.announced_close = false;
    if (sl.opened) {
      if (nib_->on_close != nullptr) {
        nib_->on_close(wctx_, sl.state);
      }
      sl.opened = false;
    }
    sl.conn = kConnNone;
    sl.recv_armed = false;
    sl.used_before = false;
    sl.preconnected = false;
    sl.send_len = 0;
    sl.ready_after_send = false;
    sl.tls_resumed = false;
  }

  // ---------------------------------------------------------------- sending

  // `insert` (the nib's out->insert, on_start only): insert_len more bytes sent between
  // p[0, insert_at) and the rest, in the same SENDMSG; ignored when insert_at > len.
  void StartSend(uint32_t s, const uint8_t* p, uint32_t len, bool conn,
                 const void* insert = nullptr, uint32_t insert_len = 0, uint32_t insert_at = 0) {
    Slot& sl = slots_[s];
    sl.insert_len = insert != nullptr && insert_at <= len ? insert_len : 0;
    sl.insert_ptr = static_cast<const uint8_t*>(insert);
    sl.insert_at = insert_at;
    sl.send_ptr = p;
    sl.send_len = len + sl.insert_len;
    sl.send_off = 0;
    sl.conn_send = conn;
    if (!conn && sl.insert_len != 0) {
      sl.announced_close = true;  // until CloseConn: later sends of the hit carry no insert
    }
    sl.sendfile = !conn && tcp_ && sh_->requests.fd >= 0 && sh_->requests.file_offset != nullptr &&
                  len >= sh_->sendfile_min && p == sl.req.data && len == sl.req.len &&
                  sl.insert_len == 0 && !sl.templated;
    if (sl.sendfile) {
      sl.file_off = sh_->requests.file_offset(sh_->requests.ctx, sl.record);
      TrySendfile(s);
      return;
    }
    SubmitSend(s);
  }

  void SubmitSend(uint32_t s) {
    Slot& sl = slots_[s];
    io_uring_sqe* sqe = uring_->Sqe();
    if (sl.insert_len != 0) {
      // What is left of send[0, at), insert, send[at, len) after send_off bytes went out.
      uint32_t skip = sl.send_off;
      size_t n = 0;
      const auto piece = [&](const uint8_t* b, uint32_t l) {
        if (skip >= l) {
          skip -= l;
          return;
        }
        sl.iov[n++] = iovec{const_cast<uint8_t*>(b + skip), l - skip};
        skip = 0;
      };
      const uint32_t body = sl.send_len - sl.insert_len - sl.insert_at;
      piece(sl.send_ptr, sl.insert_at);
      piece(sl.insert_ptr, sl.insert_len);
      piece(sl.send_ptr + sl.insert_at, body);
      sl.msg = msghdr{};
      sl.msg.msg_iov = sl.iov;
      sl.msg.msg_iovlen = n;
      io_uring_prep_sendmsg(sqe, sl.fd, &sl.msg, MSG_NOSIGNAL | (tcp_ ? MSG_WAITALL : 0));
    } else {
      io_uring_prep_send(sqe, sl.fd, sl.send_ptr + sl.send_off, sl.send_len - sl.send_off,
                         MSG_NOSIGNAL | (tcp_ ? MSG_WAITALL : 0));
    }
    sqe->user_data = PackUserData(UserOp::kSend, sl.gen, s);
    sl.send_pass = stats_->passes;
    ++sends_in_pass_;
    if (sl.conn_send && sl.ready_after_send) {
      ++ready_sends_in_pass_;
    }
  }

  // Large records straight from the page cache: non-blocking sendfile(2) inline, a POLLOUT
  // wait through the ring when the socket buffer is full.
  void TrySendfile(uint32_t s) {
    Slot& sl = slots_[s];
    while (sl.send_off < sl.send_len) {
      off_t off = static_cast<off_t>(sl.file_off);
      ssize_t n = sendfile(sl.fd, sh_->requests.fd, &off, sl.send_len - sl.send_off);
      if (n > 0) {
        sl.send_off += static_cast<uint32_t>(n);
        sl.file_off += static_cast<uint64_t>(n);
        if (sl.hit != kHitNone && !nib_sizes_) {
          sl.rec.size_out += static_cast<uint32_t>(n);
        }
        continue;
      }
      if (n < 0 && errno == EAGAIN) {
        io_uring_sqe* sqe = uring_->Sqe();
        io_uring_prep_poll_add(sqe, sl.fd, POLLOUT);
        sqe->user_data = PackUserData(UserOp::kPollOut, sl.gen, s);
        return;
      }
      ConnError(s, n < 0 ? errno : EPIPE);
      return;
    }
    SendDone(s);
  }

  void OnSend(uint32_t s, int res) {
    Slot& sl = slots_[s];
    if (sl.send_len == 0) {
      return;
    }
    if (res < 0) {
      ConnError(s, -res);
      return;
    }
    sl.send_off += static_cast<uint32_t>(res);
    if (sl.hit != kHitNone && !nib_sizes_) {
      sl.rec.size_out += static_cast<uint32_t>(res);
    }
    if (sl.send_off < sl.send_len) {
      if (res == 0) {
        ConnError(s, EPIPE);
        return;
      }
      SubmitSend(s);
      return;
    }
    SendDone(s);
  }

  void SendDone(uint32_t s) {
    Slot& sl = slots_[s];
    sl.send_len = 0;
    if (sl.conn_send) {
      if (sl.ready_after_send) {
        sl.ready_after_send = false;
        // The connection was ready when its last setup flight left (TLS 1.3: the client's
        // Finished): the submit that sent it, when that is where it completed, so that any
        // wait before the request goes out shows in the send phase (docs/results.md
        // "Phases"), not hidden in connect.
        const bool at_submit = sl.send_pass + 1 == stats_->passes;
        ConnReady(s, at_submit && sl.hit == kHitWaitConn
                         ? std::clamp<int64_t>(submit_ns_, static_cast<int64_t>(sl.rec.start), now_)
                         : now_);
      }
      return;
    }
    if (sl.hit != kHitActive) {
      return;
    }
    if (sl.rec.first_byte == 0) {
      // A SEND reaped in the pass after its submit completed at that submit; otherwise (it
      // waited for socket space, or sendfile ran inline) the reap/pass time is the stamp.
      const bool at_submit = !sl.sendfile && sl.send_pass + 1 == stats_->passes;
      if (at_submit && sl.rec.sent == 0 && sl.rec.connected == sl.rec.start) {
        // The hit's first bytes, on a connection that was ready, left at that submit: that is
        // where the hit began (docs/results.md "Phases"). The pass's work before it — the
        // replies it reaped, the shots it fired first — is the shot's lag, not the server's
        // time: with a pacing quantum a pass reaps and fires several at once, and counted from
        // the pass's start the service time grew with the quantum (measured against the sink
        // with a fixed 1 ms delay, 5,000/s: p50 +111 µs at 1 ms).
        MoveStart(sl, static_cast<uint64_t>(std::clamp<int64_t>(
                          submit_ns_, static_cast<int64_t>(sl.rec.start), now_)));
        sl.rec.connected = sl.rec.start;
        sl.deadline = static_cast<int64_t>(sl.rec.start) + sh_->timeout_ns;  // see StartHit
      }
      sl.rec.sent = static_cast<uint64_t>(
          at_submit ? std::clamp<int64_t>(submit_ns_, static_cast<int64_t>(sl.rec.connected), now_)
                    : now_);
    }
    if (nib_->on_sent != nullptr) {
      incarne_nib_out out{};
      int r = nib_->on_sent(wctx_, sl.state, &out);
      HitResult(s, r, out);
    }
  }

  // A verdict of on_start / on_sent / on_recv while a hit is in flight.
  void HitResult(uint32_t s, int r, const incarne_nib_out& out) {
    Slot& sl = slots_[s];
    if (r < 0) {
      EndHit(s, -r, true, /*by_nib=*/true);
      return;
    }
    if (out.size_in != 0) {
      sl.rec.size_in = out.size_in;
    }
    if (out.size_out != 0 && nib_sizes_) {
      sl.rec.size_out = out.size_out;
    }
    if (r == INCARNE_NIB_DONE) {
      sl.rec.proto_code = out.proto_code;
      if (sl.rec.sent == 0) {
        sl.rec.sent = static_cast<uint64_t>(EventTime(sl.rec.connected));
      }
      if (sl.rec.first_byte == 0) {
        sl.rec.first_byte = static_cast<uint64_t>(EventTime(sl.rec.sent));
      }
      EndHit(s, 0, (out.flags & INCARNE_NIB_OUT_CLOSE) != 0);
      return;
    }
    if (out.send != nullptr && out.send_len > 0) {
      StartSend(s, static_cast<const uint8_t*>(out.send), out.send_len, /*conn=*/false, out.insert,
                out.insert_len, out.insert_at);
    }
  }

  // ---------------------------------------------------------------- receiving

  // Receives of this pass found no buffer (ENOBUFS; each was re-armed and its bytes wait in
  // the socket): hand out one more buffer for each (at least kRecvBufsGrowMin, up to the
  // pool's room) before the next submit, so that the pool settles at what a pass reaps.
  void GrowRecvBuffers() {
    if (__builtin_expect(recv_short_ != 0, 0)) {
      recv_bufs_.Grow(std::max(recv_short_, kRecvBufsGrowMin));
      recv_short_ = 0;
      stats_->recv_buffers = recv_bufs_.active();
    }
  }

  void ArmRecv(uint32_t s) {
    Slot& sl = slots_[s];
    io_uring_sqe* sqe = uring_->Sqe();
    sl.recv_msg = rx_timestamps_;
    if (rx_timestamps_) {
      // UDP: with MSG_TRUNC the header's payloadlen is a datagram's real size even when it
      // did not fit the buffer (the CQE still covers only the buffer). Never for TCP, where
      // MSG_TRUNC would discard the bytes.
      io_uring_prep_recvmsg_multishot(sqe, sl.fd, &rx_msg_, tcp_ ? 0 : MSG_TRUNC);
      recv_bufs_.SelectBuffer(sqe);
    } else {
      recv_bufs_.PrepRecv(sqe, sl.fd, multishot_);
    }
    sqe->user_data = PackUserData(UserOp::kRecv, sl.gen, s);
    sl.recv_armed = true;
  }

  void OnRecv(uint32_t s, uint32_t gen, int res, uint32_t flags) {
    const bool has_buf = (flags & IORING_CQE_F_BUFFER) != 0;
    const uint16_t bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    Slot& sl = slots_[s];
    if (gen != sl.gen || sl.fd < 0) {
      if (has_buf) {
        recv_bufs_.Return(bid);
      }
      return;  // a receive of a connection already closed
    }
    const bool more = (flags & IORING_CQE_F_MORE) != 0;
    if (!more) {
      sl.recv_armed = false;
    }
    if (res > 0) {
      uint8_t* data = has_buf ? recv_bufs_.Data(bid) : nullptr;
      if (data != nullptr && sl.recv_msg) {
        // RECVMSG layout: io_uring_recvmsg_out, control (the timestamp), payload.
        io_uring_recvmsg_out* o = io_uring_recvmsg_validate(data, res, &rx_msg_);
        if (o == nullptr) {
          recv_bufs_.Return(bid);
          ConnError(s, EPROTO);
          return;
        }
        rx_ts_ = RxStamp(o);
        const uint32_t len = io_uring_recvmsg_payload_length(o, res, &rx_msg_);
        uint8_t* payload = static_cast<uint8_t*>(io_uring_recvmsg_payload(o, &rx_msg_));
        if (!tcp_ && o->payloadlen > len && sl.hit == kHitActive) {
          sl.rec.size_in += o->payloadlen - len;  // a datagram cut to the buffer: count it all
        }
        if (len == 0) {
          recv_bufs_.Return(bid);
          rx_ts_ = 0;
          DeliverEof(s);
          return;
        }
        Deliver(s, payload, len);
        rx_ts_ = 0;
        recv_bufs_.Return(bid);
      } else if (data != nullptr) {
        Deliver(s, data, static_cast<uint32_t>(res));
        recv_bufs_.Return(bid);
      }
      if (!more && sl.gen == gen && sl.fd >= 0 && !sl.recv_armed) {
        ArmRecv(s);
      }
      return;
    }
    if (has_buf) {
      recv_bufs_.Return(bid);
    }
    if (res == -ENOBUFS) {
      ++stats_->recv_nobufs;
      ++recv_short_;
      if (!more && !sl.recv_armed) {
        ArmRecv(s);  // buffers come back at the end of this pass, before the next submit
      }
      return;
    }
    if (res == 0) {
      DeliverEof(s);
      return;
    }
    ConnError(s, -res);
  }

  // The kernel's receive time of a RECVMSG completion in run-relative ns, or 0 when it carries
  // none. Clamped to now: a stamp can never be later than the pass that reaped it.
  int64_t RxStamp(io_uring_recvmsg_out* o) {
    for (cmsghdr* c = io_uring_recvmsg_cmsg_firsthdr(o, &rx_msg_); c != nullptr;
         c = io_uring_recvmsg_cmsg_nexthdr(o, &rx_msg_, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS ||
          c->cmsg_len < CMSG_LEN(sizeof(timespec))) {
        continue;
      }
      timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      if (real_to_mono_at_ != now_) {
        timespec real;
        timespec mono;
        clock_gettime(CLOCK_REALTIME, &real);
        clock_gettime(CLOCK_MONOTONIC, &mono);
        real_to_mono_ = (int64_t{mono.tv_sec} - real.tv_sec) * 1'000'000'000 +
                        (int64_t{mono.tv_nsec} - real.tv_nsec);
        real_to_mono_at_ = now_;
      }
      ++stats_->rx_stamped;
      const int64_t t =
          int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec + real_to_mono_ - sh_->origin_mono_ns;
      return std::clamp<int64_t>(t, 1, now_);
    }
    return 0;
  }

  // When the event being handled happened: the kernel's receive stamp of the chunk being
  // delivered, else the pass time. Never before `floor` (a stamp taken a little before the
  // reap of the send completion it answers must not make a phase negative).
  int64_t EventTime(uint64_t floor) const {
    const int64_t t = rx_ts_ != 0 ? rx_ts_ : now_;
    return std::max<int64_t>(t, static_cast<int64_t>(floor));
  }

  void Deliver(uint32_t s, const uint8_t* data, uint32_t len) {
    Slot& sl = slots_[s];
    incarne_nib_out out{};
    if (sl.hit == kHitActive) {
      if (sl.rec.first_byte == 0) {
        if (sl.rec.sent == 0) {
          sl.rec.sent = static_cast<uint64_t>(EventTime(sl.rec.connected));
        }
        sl.rec.first_byte = static_cast<uint64_t>(EventTime(sl.rec.sent));
      }
      if (!nib_sizes_) {
        sl.rec.size_in += len;
      }
      if (answ_raw_) {
        CaptureReply(s, data, len);
      }
      if (sl.scan && scan_raw_) {
        CaptureScan(s, data, len);
      }
      int r = nib_->on_recv(wctx_, sl.state, data, len, &out);
      HitResult(s, r, out);
    } else if (sl.conn == kConnHandshake) {
      int r = nib_->on_recv(wctx_, sl.state, data, len, &out);
      ConnResult(s, r, out);
    } else {
      // Between hits: unsolicited bytes (TLS tickets) or garbage.
      int r = nib_->on_recv(wctx_, sl.state, data, len, &out);
      if (r < 0) {
        CloseConn(s);
      } else if (out.send != nullptr && out.send_len > 0 && sl.send_len == 0) {
        StartSend(s, static_cast<const uint8_t*>(out.send), out.send_len, /*conn=*/true);
      }
    }
  }

  // answ log: keeps the first kAnswReplyMax bytes the hit on slot s received (or, through
  // AnswTap, the reply bytes the nib decoded); answ_len counts all of them (saturating).
  void CaptureReply(uint32_t s, const uint8_t* data, uint32_t len) {
    const uint32_t have = answ_len_[s];
    if (have < kAnswReplyMax) {
      memcpy(answ_buf_ + size_t{s} * kAnswReplyMax + have, data,
             std::min(len, kAnswReplyMax - have));
    }
    answ_len_[s] = have + std::min(len, UINT32_MAX - have);
  }

  // [[rules]]: keeps the first scan_cap_ bytes of the reply of the hit on slot s.
  void CaptureScan(uint32_t s, const uint8_t* data, uint32_t len) {
    const uint32_t have = scan_len_[s];
    if (have < scan_cap_) {
      const uint32_t take = std::min(len, scan_cap_ - have);
      memcpy(scan_buf_ + scan_stride_ * s + have, data, take);
      scan_len_[s] = have + take;
    }
  }

  // incarne_nib_tap (registered by Init with tap_replies): reply payload the nib decoded for
  // the connection whose state is `state`. The state arena has a fixed stride, so the state
  // names the slot; anything that is not a slot's state, or arrives while that slot has no
  // hit on the wire (handshake, between hits), is ignored.
  static void AnswTap(void* ctx, void* state, const void* data, uint32_t len) {
    auto* w = static_cast<Impl*>(ctx);
    const uintptr_t base = reinterpret_cast<uintptr_t>(w->states_);
    const uintptr_t p = reinterpret_cast<uintptr_t>(state);
    if (p < base || (p - base) % w->state_stride_ != 0) {
      return;
    }
    const uintptr_t s = (p - base) / w->state_stride_;
    if (s >= w->slots_.size() || w->slots_[s].hit != kHitActive) {
      return;
    }
    if (w->answ_buf_ != nullptr) {
      w->CaptureReply(static_cast<uint32_t>(s), static_cast<const uint8_t*>(data), len);
    }
    if (w->slots_[s].scan) {
      w->CaptureScan(static_cast<uint32_t>(s), static_cast<const uint8_t*>(data), len);
    }
  }

  void DeliverEof(uint32_t s) {
    Slot& sl = slots_[s];
    sl.recv_armed = false;
    if (sl.hit == kHitActive) {
      incarne_nib_out out{};
      int r = nib_->on_recv(wctx_, sl.state, nullptr, 0, &out);
      if (r == INCARNE_NIB_DONE) {
        out.flags |= INCARNE_NIB_OUT_CLOSE;  // the peer closed: never reuse
        HitResult(s, r, out);
        return;
      }
      int code = r < 0 ? -r : (sl.rec.size_in == 0 ? ECONNRESET : EPROTO);
      HitConnFailure(s, code, /*by_nib=*/r < 0);
      return;
    }
    if (sl.conn == kConnHandshake) {
      ConnFailed(s, ECONNRESET);
      return;
    }
    if (sl.preconnected && !sl.used_before) {
      // The server closes connections nobody used yet: preconnecting would only churn.
      preconnect_pause_until_ = now_ + kPreconnectPauseNs;
    }
    CloseConn(s);  // an idle kept-alive connection closed by the server
  }

  // ---------------------------------------------------------------- completions

  void ReapCqes() {
    io_uring* ring = uring_->ring();
    unsigned head;
    unsigned n = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(ring, head, cqe) {
      ++n;
      const uint64_t ud = cqe->user_data;
      const uint32_t s = UserDataSlot(ud);
      const uint32_t gen = UserDataGeneration(ud);
      if (UserDataOp(ud) == UserOp::kLinger) {
        close(static_cast<int>(s));  // the server's FIN is in (or the linger timed out)
        --lingering_;
        continue;
      }
      if (s >= slots_.size()) {
        continue;
      }
      switch (UserDataOp(ud)) {
        case UserOp::kRecv:
          OnRecv(s, gen, cqe->res, cqe->flags);
          break;
        case UserOp::kSend:
          if (gen == slots_[s].gen && slots_[s].fd >= 0) {
            OnSend(s, cqe->res);
          }
          break;
        case UserOp::kConnect:
          if (gen == slots_[s].gen && slots_[s].conn == kConnConnecting) {
            if (cqe->res < 0) {
              ConnFailed(s, -cqe->res);
            } else {
              Connected(s);
            }
          }
          break;
        case UserOp::kPollOut:
          if (gen == slots_[s].gen && slots_[s].fd >= 0 && slots_[s].send_len != 0) {
            if (cqe->res < 0) {
              ConnError(s, -cqe->res);
            } else {
              TrySendfile(s);
            }
          }
          break;
        default:
          break;
      }
    }
    if (n != 0) {
      io_uring_cq_advance(ring, n);
      stats_->cqes += n;
    }
    if (n < last_wait_nr_) {
      ++stats_->waits_short;
    }
    last_wait_nr_ = 0;
  }
};

Worker::Worker(const EngineShared* shared, WorkerOptions options)
    : impl_(std::make_unique<Impl>(shared, options, &stats_)) {
  CHECK(options.ring != nullptr);
  CHECK(shared->nib != nullptr);
}

Worker::~Worker() = default;

absl::Status Worker::Init() { return impl_->Init(); }

std::string Worker::DescribeSetup() const {
  if (impl_->uring_ == nullptr) {
    return "io_uring: not set up";
  }
  std::string s = impl_->uring_->Describe();
  if (impl_->transport_ != INCARNE_NIB_TRANSPORT_NONE) {
    absl::StrAppend(&s, impl_->multishot_ ? "; recv: multishot" : "; recv: one-shot",
                    " over a buffer ring of ", impl_->recv_bufs_.count(), " × ", kRecvBufSize, " B",
                    impl_->rx_timestamps_ ? "; reply times: kernel (SO_TIMESTAMPNS)"
                                          : "; reply times: reap time (min_wait bounded)");
  }
  return s;
}

void Worker::Run() { impl_->Run(); }

uint32_t Worker::slot_count() const { return static_cast<uint32_t>(impl_->slots_.size()); }

}  // namespace incarne
