#include "results/collector.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "results/aggregates_file.h"
#include "results/convert.h"
#include "results/criteria.h"
#include "results/hits_file.h"
#include "results/report.h"
#include "util/clock.h"
#include "util/output_file.h"
#include "util/status.h"

namespace incarne {
namespace {

constexpr int64_t kNsPerS = 1000 * 1000 * 1000;
constexpr uint64_t kMaxPerRingPass = 16384;  // 1 MiB of records per ring per pass
constexpr size_t kStagingRecords = 16384;    // filtered records per hits write
constexpr size_t kPhoutFlushBytes = 1 << 20;
constexpr uint64_t kBusyPass = 4096;  // a pass this large loops without sleeping
// The drain period doubles after each pass that found at most kQuietPass records, up to
// kMaxPollFactor × CollectorOptions::poll_ns, and drops back to poll_ns after a larger one. A
// wake-up costs ~12 µs of CPU on these VMs: at 5,000 shots/s the 1 ms period was 9 % of the
// client's CPU (perf, docs/engine.md "Open model: the pacing window"). A ring of 16,384
// records still holds 8 ms of 2 M records/s; a jump from idle to a dummy nib flat out can
// fill it once (counted: the closed model's stall, the open model's lost raw records).
constexpr uint64_t kQuietPass = 256;
constexpr int64_t kMaxPollFactor = 8;
constexpr int64_t kGraceNs = 250 * 1000 * 1000;  // a second is written 250 ms after it ends
constexpr int64_t kMaxEmptyGap = 3600;           // longer runs of empty seconds are skipped
constexpr int64_t kStuckNs = 10 * kNsPerS;       // Finish() gives up on unfinished rings

uint64_t Delta(uint64_t later, uint64_t earlier) { return later > earlier ? later - earlier : 0; }

}  // namespace

class Collector::Impl {
 public:
  Impl(CollectorOptions o, std::vector<ResultRing*> r) : opt_(std::move(o)), rings_(std::move(r)) {}
  ~Impl() {
    if (thread_.joinable()) {
      stop_.store(true, std::memory_order_release);
      thread_.join();
    }
    for (int* fd : {&hits_fd_, &agg_fd_, &stats_fd_, &phout_fd_, &answ_fd_}) {
      if (*fd >= 0) {
        close(*fd);
        *fd = -1;
      }
    }
  }

  absl::Status Open();
  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }
  absl::Status Finish();

  RunSummary summary_;
  std::atomic<uint64_t> hits_so_far_{0};
  std::atomic<int64_t> end_ns_{INT64_MAX};
  uint64_t answ_written_ = 0;
  uint64_t answ_dropped_ = 0;

 private:
  struct Second {
    std::vector<Stats*> tags;
    std::vector<uint16_t> used;
    uint64_t late = 0;
  };
  struct Sample {
    uint64_t due = 0, fired = 0, dropped = 0, inflight_max = 0, ring_wait_ns = 0;
  };

  void Run();
  uint64_t DrainOnce(bool* capped);
  void Account(const HitRecord& r) {
    const int64_t sec = static_cast<int64_t>(r.done / kNsPerS);
    if (sec != cur_sec_) {
      SelectSecond(sec);
    }
    const uint16_t tag = r.tag < ntags_ ? r.tag : 0;
    Stats*& st = cur_->tags[tag];
    if (st == nullptr) {
      st = AllocStats();
      cur_->used.push_back(tag);
    }
    st->Add(r);
    cur_->late += cur_late_ ? 1 : 0;
  }
  bool Keep(const HitRecord& r) {
    switch (opt_.keep.mode) {
      case HitsKeep::Mode::kAll:
        return true;
      case HitsKeep::Mode::kErrors:
        return IsError(r);
      case HitsKeep::Mode::kSample:
        if (IsError(r)) {
          return true;
        }
        return (successes_++ % opt_.keep.every) == 0;
    }
    return true;
  }
  void SelectSecond(int64_t sec);
  uint64_t MergeBlock(const SecondBlock& b);
  Stats* AllocStats();
  void Tick(int64_t now_rel, bool allow_emit);
  Sample ReadCounters();
  Sample SampleAt(int64_t k) const;
  void EmitSecond(int64_t s);
  void EmitAll(int64_t through);
  void WriteHits(struct iovec* iov, int iovcnt, uint64_t records);
  void FlushStaging();
  void FlushText(int* fd, std::string* buf, const std::string& name);
  void FlushPhout();
  uint64_t DrainAnsw();
  void FlushAnsw();
  void NoteError(const absl::Status& st) {
    if (error_.ok()) {
      error_ = st;
    }
  }

  CollectorOptions opt_;
  std::vector<ResultRing*> rings_;
  RunMeta meta_;
  uint16_t ntags_ = 1;
  std::vector<std::string> phout_tags_;
  int hits_fd_ = -1, agg_fd_ = -1, stats_fd_ = -1, phout_fd_ = -1, answ_fd_ = -1;
  std::string phout_name_;  // for messages
  std::string answ_name_;
  std::string answ_buf_;
  bool hits_failed_ = false;
  absl::Status error_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  std::map<int64_t, Second> open_;
  int64_t next_emit_ = 0;
  int64_t cur_sec_ = INT64_MIN;
  Second* cur_ = nullptr;
  bool cur_late_ = false;
  std::vector<std::unique_ptr<Stats>> all_stats_;
  std::vector<Stats*> free_stats_;
  SecondStats scratch_;
  std::unique_ptr<Autostop> autostop_;  // null without criteria

  // Counters at the start of second k; a missing k takes the next entry (SampleAt).
  std::map<int64_t, Sample> samples_;
  int64_t sampled_upto_ = 0;
  bool have_final_ = false;
  Sample final_;

  std::vector<HitRecord> staging_;
  std::vector<struct iovec> iov_;
  std::vector<uint64_t> taken_;
  std::string phout_buf_;
  uint64_t successes_ = 0;
  uint64_t written_ = 0;
  uint64_t unwritten_ = 0;
};

absl::Status Collector::Impl::Open() {
  meta_.origin_realtime_ns = opt_.origin_realtime_ns;
  meta_.shard = opt_.shard;
  meta_.shards = opt_.shards == 0 ? 1 : opt_.shards;
  meta_.workers = opt_.workers;
  meta_.run_id = NewRunId();  // in both headers and summary.json: merge tells runs apart
  meta_.keep = opt_.keep;
  if (meta_.keep.every == 0) {
    meta_.keep.every = 1;
  }
  opt_.keep = meta_.keep;
  meta_.tags = opt_.tags.empty() ? std::vector<std::string>{""} : opt_.tags;
  if (meta_.tags.size() > 65536) {
    return absl::InvalidArgumentError(
        absl::StrCat("tag table has ", meta_.tags.size(), " tags; at most 65536"));
  }
  ntags_ = static_cast<uint16_t>(std::min<size_t>(meta_.tags.size(), 65535));
  summary_.meta = meta_;
  summary_.tags.resize(meta_.tags.size());
  for (const std::string& t : meta_.tags) {
    phout_tags_.push_back(PhoutTag(t));
  }
  auto create = [&](const char* name, int* fd) -> absl::Status {
    const std::string path = opt_.run_dir + "/" + name;
    *fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (*fd < 0) {
      return absl::InternalError(absl::StrCat(path, ": cannot create: ", strerror(errno)));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(create("hits", &hits_fd_));
  RETURN_IF_ERROR(WriteAll(hits_fd_, EncodeRunHeader(kHitsMagic, meta_), opt_.run_dir + "/hits"));
  RETURN_IF_ERROR(create("aggregates", &agg_fd_));
  RETURN_IF_ERROR(
      WriteAll(agg_fd_, EncodeRunHeader(kAggrMagic, meta_), opt_.run_dir + "/aggregates"));
  RETURN_IF_ERROR(create("stats.jsonl", &stats_fd_));
  // Given paths are shared (phantom drop-in): appended to in whole lines, never truncated.
  auto append = [&](const std::string& path, int* fd) -> absl::Status {
    *fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (*fd < 0) {
      return absl::InternalError(absl::StrCat(path, ": cannot open: ", strerror(errno)));
    }
    return absl::OkStatus();
  };
  if (opt_.phout) {
    if (opt_.phout_path.empty()) {
      phout_name_ = opt_.run_dir + "/phout.log";
      RETURN_IF_ERROR(create("phout.log", &phout_fd_));
    } else {
      phout_name_ = opt_.phout_path;
      RETURN_IF_ERROR(append(opt_.phout_path, &phout_fd_));
    }
    phout_buf_.reserve(kPhoutFlushBytes + 4096);
  }
  if (!opt_.answ_rings.empty()) {
    if (opt_.answ_path.empty()) {
      answ_name_ = opt_.run_dir + "/answ.log";
      RETURN_IF_ERROR(create("answ.log", &answ_fd_));
    } else {
      answ_name_ = opt_.answ_path;
      RETURN_IF_ERROR(append(opt_.answ_path, &answ_fd_));
    }
    answ_buf_.reserve(kPhoutFlushBytes + 2 * kAnswReplyMax);
  }
  staging_.reserve(kStagingRecords);
  iov_.reserve(2 * rings_.size());
  taken_.resize(rings_.size());
  samples_[0] = Sample{};
  scratch_.tags.assign(meta_.tags.size(), nullptr);
  if (!opt_.autostop.empty()) {
    autostop_ = std::make_unique<Autostop>(opt_.autostop, meta_.tags, opt_.instances);
  }
  return absl::OkStatus();
}

Stats* Collector::Impl::AllocStats() {
  if (free_stats_.empty()) {
    all_stats_.push_back(std::make_unique<Stats>());
    return all_stats_.back().get();
  }
  Stats* s = free_stats_.back();
  free_stats_.pop_back();
  return s;
}

void Collector::Impl::SelectSecond(int64_t sec) {
  cur_late_ = sec < next_emit_;
  const int64_t target = cur_late_ ? next_emit_ : sec;
  auto [it, inserted] = open_.try_emplace(target);
  if (inserted) {
    it->second.tags.assign(meta_.tags.size(), nullptr);
  }
  cur_ = &it->second;
  cur_sec_ = sec;
}

// A worker's second (SecondAggregates), by the rule Account() applies to a record: into its
// own second, or — that second already written — into the oldest one not yet written, as late.
uint64_t Collector::Impl::MergeBlock(const SecondBlock& b) {
  const bool late = b.second < next_emit_;
  const int64_t target = late ? next_emit_ : b.second;
  auto [it, inserted] = open_.try_emplace(target);
  Second& sec = it->second;
  if (inserted) {
    sec.tags.assign(meta_.tags.size(), nullptr);
  }
  for (uint16_t t : b.used) {
    if (t >= sec.tags.size()) {
      continue;  // a worker built for another tag table: cannot happen in one run
    }
    Stats*& st = sec.tags[t];
    if (st == nullptr) {
      st = AllocStats();
      sec.used.push_back(t);
    }
    st->Merge(*b.tags[t]);
  }
  sec.late += late ? b.hits : b.misfiled;
  return b.hits;
}

void Collector::Impl::WriteHits(struct iovec* iov, int iovcnt, uint64_t records) {
  if (hits_failed_) {
    unwritten_ += records;
    return;
  }
  while (iovcnt > 0) {
    const ssize_t n = writev(hits_fd_, iov, std::min(iovcnt, IOV_MAX));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      NoteError(absl::InternalError(
          absl::StrCat(opt_.run_dir, "/hits: write: ", strerror(errno),
                       " — raw records are no longer written; aggregates stay complete")));
      hits_failed_ = true;
      uint64_t left = 0;
      for (int i = 0; i < iovcnt; ++i) {
        left += iov[i].iov_len;
      }
      unwritten_ += left / sizeof(HitRecord);
      written_ += records - left / sizeof(HitRecord);
      return;
    }
    size_t done = static_cast<size_t>(n);
    while (iovcnt > 0 && done >= iov->iov_len) {
      done -= iov->iov_len;
      ++iov;
      --iovcnt;
    }
    if (iovcnt > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + done;
      iov->iov_len -= done;
    }
  }
  written_ += records;
}

void Collector::Impl::FlushStaging() {
  if (staging_.empty()) {
    return;
  }
  struct iovec iov = {staging_.data(), staging_.size() * sizeof(HitRecord)};
  WriteHits(&iov, 1, staging_.size());
  staging_.clear();
}

// Writes `buf` to *fd and empties it; a failed write is noted and the file given up (*fd = -1).
void Collector::Impl::FlushText(int* fd, std::string* buf, const std::string& name) {
  if (*fd < 0 || buf->empty()) {
    return;
  }
  absl::Status st = WriteAll(*fd, *buf, name);
  if (!st.ok()) {
    NoteError(st);
    close(*fd);
    *fd = -1;
  }
  buf->clear();
}

void Collector::Impl::FlushPhout() { FlushText(&phout_fd_, &phout_buf_, phout_name_); }

void Collector::Impl::FlushAnsw() { FlushText(&answ_fd_, &answ_buf_, answ_name_); }

// Formats every published answ entry; entries are written in whole (one write per flush).
uint64_t Collector::Impl::DrainAnsw() {
  uint64_t n = 0;
  for (AnswRing* ring : opt_.answ_rings) {
    n += ring->Drain([this](const AnswEntryHeader& h, std::span<const uint8_t> reply) {
      if (answ_fd_ < 0) {
        return;
      }
      std::string_view request;
      if (h.record != kAnswNoRecord && opt_.request_bytes) {
        request = opt_.request_bytes(h.record);
      }
      FormatAnswEntry(h.rec, request, reply, &answ_buf_);
      ++answ_written_;
      if (answ_buf_.size() >= kPhoutFlushBytes) {
        FlushAnsw();
      }
    });
  }
  return n;
}

uint64_t Collector::Impl::DrainOnce(bool* capped) {
  *capped = false;
  iov_.clear();
  uint64_t total = 0;
  uint64_t hits = 0;
  uint64_t blocks = 0;
  for (size_t i = 0; i < rings_.size(); ++i) {
    // A worker that aggregates its seconds itself sends only the raw records the hits file
    // keeps (or all of them for phout.log, filtered here as for any ring).
    SecondAggregates* seconds = rings_[i]->seconds();
    const bool keep_all =
        opt_.keep.mode == HitsKeep::Mode::kAll || (seconds != nullptr && !opt_.phout);
    const ResultRing::Batch b = rings_[i]->Peek(kMaxPerRingPass);
    taken_[i] = b.size();
    total += b.size();
    *capped = *capped || b.size() == kMaxPerRingPass;
    if (seconds != nullptr) {
      while (SecondBlock* blk = seconds->Pop()) {
        hits += MergeBlock(*blk);
        seconds->Recycle(blk);
        ++blocks;
      }
    } else {
      hits += b.size();
    }
    for (std::span<const HitRecord> span : {b.first, b.second}) {
      if (span.empty()) {
        continue;
      }
      if (seconds == nullptr) {
        for (const HitRecord& r : span) {
          Account(r);
        }
      }
      if (keep_all) {
        iov_.push_back({const_cast<HitRecord*>(span.data()), span.size_bytes()});
      } else {
        for (const HitRecord& r : span) {
          if (Keep(r)) {
            if (staging_.size() == kStagingRecords) {
              FlushStaging();
            }
            staging_.push_back(r);
          }
        }
      }
      if (phout_fd_ >= 0) {
        for (const HitRecord& r : span) {
          const std::string& tag = phout_tags_[r.tag < ntags_ ? r.tag : 0];
          const size_t at = phout_buf_.size();
          phout_buf_.resize(at + PhoutLineMax(tag.size()));
          char* end = FormatPhoutLine(r, meta_.origin_realtime_ns, tag, phout_buf_.data() + at);
          phout_buf_.resize(static_cast<size_t>(end - phout_buf_.data()));
          if (phout_buf_.size() >= kPhoutFlushBytes) {
            FlushPhout();
          }
        }
      }
    }
  }
  if (!iov_.empty()) {
    WriteHits(iov_.data(), static_cast<int>(iov_.size()), total);
  }
  const uint64_t answ = opt_.answ_rings.empty() ? 0 : DrainAnsw();
  if (total == 0 && answ == 0) {
    FlushStaging();
    FlushPhout();
    FlushAnsw();
  }
  for (size_t i = 0; i < rings_.size(); ++i) {
    if (taken_[i] != 0) {
      rings_[i]->Release(taken_[i]);
    }
  }
  if (hits != 0) {
    hits_so_far_.fetch_add(hits, std::memory_order_relaxed);
  }
  return total + blocks;
}

Collector::Impl::Sample Collector::Impl::ReadCounters() {
  Sample s;
  for (ResultRing* r : rings_) {
    RingHeader* h = r->header();
    s.due += h->shots_due.load(std::memory_order_relaxed);
    s.fired += h->shots_fired.load(std::memory_order_relaxed);
    s.dropped += h->dropped.load(std::memory_order_relaxed);
    s.ring_wait_ns += h->ring_wait_ns.load(std::memory_order_relaxed);
    // The worker raises inflight_max; the collector resets it to the current in-flight count
    // at each second boundary, so each sample holds the maximum of the second that ended.
    const uint64_t now = h->inflight.load(std::memory_order_relaxed);
    s.inflight_max += std::max(h->inflight_max.exchange(now, std::memory_order_relaxed), now);
  }
  return s;
}

Collector::Impl::Sample Collector::Impl::SampleAt(int64_t k) const {
  // Exact, or the first sample after a gap of boundaries crossed at once (Tick): those
  // seconds repeat the sample taken when the clock was seen next.
  auto it = samples_.lower_bound(k);
  if (it != samples_.end()) {
    return it->second;
  }
  Sample s = have_final_ ? final_ : (samples_.empty() ? Sample{} : samples_.rbegin()->second);
  if (k > sampled_upto_ + 1) {
    s.inflight_max = 0;  // seconds after the last one the clock reached
  }
  return s;
}

void Collector::Impl::Tick(int64_t now_rel, bool allow_emit) {
  if (now_rel < 0) {
    return;
  }
  const int64_t now_sec = now_rel / kNsPerS;
  if (sampled_upto_ < now_sec) {
    // Several boundaries crossed at once (a stalled collector, an origin in the past): one
    // entry stands for all of them (SampleAt), so their seconds show zero deltas rather than
    // invented ones, and memory does not grow with the seconds skipped.
    samples_[now_sec] = ReadCounters();
    sampled_upto_ = now_sec;
  }
  if (!allow_emit) {
    return;
  }
  while ((next_emit_ + 1) * kNsPerS + kGraceNs <= now_rel) {
    EmitSecond(next_emit_);
  }
}

void Collector::Impl::EmitSecond(int64_t s) {
  SecondStats& ss = scratch_;
  ss.second = s;
  ss.unix_ns = meta_.origin_realtime_ns + s * kNsPerS;
  const Sample a = SampleAt(s);
  const Sample b = SampleAt(s + 1);
  if (opt_.planned_shots_by) {
    // Shots planned after the end of firing were never due: not planned (SetEnd).
    const int64_t end = end_ns_.load(std::memory_order_relaxed);
    ss.planned = Delta(opt_.planned_shots_by(std::min((s + 1) * kNsPerS, end)),
                       opt_.planned_shots_by(std::min(s * kNsPerS, end)));
  } else {
    ss.planned = Delta(b.due, a.due);
  }
  ss.sent = Delta(b.fired, a.fired);
  ss.ring_dropped = Delta(b.dropped, a.dropped);
  ss.ring_wait_ns = Delta(b.ring_wait_ns, a.ring_wait_ns);
  ss.inflight_max = b.inflight_max;
  ss.overall.Clear();
  std::fill(ss.tags.begin(), ss.tags.end(), nullptr);
  ss.late = 0;
  auto it = open_.find(s);
  if (it != open_.end()) {
    ss.late = it->second.late;
    for (uint16_t t : it->second.used) {
      ss.tags[t] = it->second.tags[t];
      ss.overall.Merge(*ss.tags[t]);
    }
  }
  ss.autostop = nullptr;
  if (autostop_ != nullptr) {
    // Per second, never per hit: a handful of comparisons and a deque step per criterion.
    if (const AutostopVerdict* v = autostop_->Observe(ss); v != nullptr) {
      ss.autostop = v;
      summary_.autostop = *v;
      const std::string path = absl::StrCat(opt_.run_dir, "/", kAutostopReportFile);
      absl::Status st = [&]() -> absl::Status {
        ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> f, OutputFile::Open(path));
        RETURN_IF_ERROR(f->Write(FormatAutostopReport(*v)));
        return f->Commit();
      }();
      if (!st.ok()) {
        NoteError(st);
      }
      if (opt_.on_autostop) {
        opt_.on_autostop(*v);
      }
    }
  }
  if (agg_fd_ >= 0) {
    absl::Status st = WriteAll(agg_fd_, EncodeSecondBlock(ss), opt_.run_dir + "/aggregates");
    if (!st.ok()) {
      NoteError(st);
      close(agg_fd_);
      agg_fd_ = -1;
    }
  }
  if (stats_fd_ >= 0) {
    absl::Status st = WriteAll(stats_fd_, SecondJsonLine(ss, meta_), opt_.run_dir + "/stats.jsonl");
    if (!st.ok()) {
      NoteError(st);
      close(stats_fd_);
      stats_fd_ = -1;
    }
  }
  if (opt_.live != nullptr) {
    const std::string line = LiveLine(ss);
    if (opt_.live_tty) {
      std::fprintf(opt_.live, "\r%s\033[K", line.c_str());
    } else {
      std::fprintf(opt_.live, "%s\n", line.c_str());
    }
    std::fflush(opt_.live);
  }
  if (opt_.on_second) {
    opt_.on_second(ss);
  }
  AddSecondToSummary(ss, &summary_);
  if (it != open_.end()) {
    for (uint16_t t : it->second.used) {
      Stats* st = it->second.tags[t];
      st->Clear();
      free_stats_.push_back(st);
    }
    open_.erase(it);
  }
  samples_.erase(samples_.begin(), samples_.lower_bound(s));
  // Readers tail phout and answ while the run goes on: at least one flush per second.
  FlushPhout();
  FlushAnsw();
  next_emit_ = s + 1;
  cur_sec_ = INT64_MIN;
  cur_ = nullptr;
}

void Collector::Impl::EmitAll(int64_t through) {
  while (true) {
    int64_t last = through;
    if (!open_.empty()) {
      last = std::max(last, open_.rbegin()->first);
    }
    if (next_emit_ > last) {
      return;
    }
    // Skip a long run of empty seconds (a bogus completion time far in the future).
    if (!open_.empty() && next_emit_ > through &&
        open_.begin()->first - next_emit_ > kMaxEmptyGap) {
      next_emit_ = open_.begin()->first;
    }
    EmitSecond(next_emit_);
  }
}

void Collector::Impl::Run() {
  int64_t idle_since = 0;
  int64_t poll_ns = opt_.poll_ns;
  while (true) {
    const bool stopping = stop_.load(std::memory_order_acquire);
    bool all_finished = stopping;
    if (stopping) {
      for (ResultRing* r : rings_) {
        all_finished = all_finished && r->finished();
      }
    }
    bool capped = false;
    const uint64_t n = DrainOnce(&capped);
    const int64_t now = MonoNs();
    Tick(now - opt_.origin_mono_ns, !capped);
    if (stopping && n == 0) {
      if (all_finished) {
        return;
      }
      if (idle_since == 0) {
        idle_since = now;
      } else if (now - idle_since > kStuckNs) {
        NoteError(absl::InternalError(
            "collector: a worker's result ring was not marked finished 10 s after Finish(); "
            "results may be incomplete"));
        return;
      }
    } else {
      idle_since = 0;
    }
    if (n < kBusyPass) {
      poll_ns = n <= kQuietPass && !stopping ? std::min(poll_ns * 2, opt_.poll_ns * kMaxPollFactor)
                                             : opt_.poll_ns;
      // Wake at the next second's boundary if it comes first: the workers' counters (shots
      // sent, due) are sampled at the first pass after it (Tick), so the per-second counts
      // are exact to the wake-up's latency, whatever the period.
      int64_t wake = now + poll_ns;
      const int64_t rel = now - opt_.origin_mono_ns;
      if (rel >= 0) {
        wake = std::min(wake, opt_.origin_mono_ns + (rel / kNsPerS + 1) * kNsPerS);
      }
      struct timespec ts = {static_cast<time_t>(wake / kNsPerS), static_cast<long>(wake % kNsPerS)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
      }
    }
  }
}

absl::Status Collector::Impl::Finish() {
  if (thread_.joinable()) {
    stop_.store(true, std::memory_order_release);
    thread_.join();
  }
  FlushStaging();
  FlushPhout();
  if (!opt_.answ_rings.empty()) {
    DrainAnsw();
    FlushAnsw();
    for (AnswRing* ring : opt_.answ_rings) {
      answ_dropped_ += ring->dropped();
    }
  }
  const int64_t now_rel = MonoNs() - opt_.origin_mono_ns;
  Tick(now_rel, false);
  final_ = ReadCounters();
  have_final_ = true;
  // The last second written is the one the clock is in, but not past the end of firing
  // (SetEnd): the few ms a stop takes to drain add no empty second. Seconds with
  // completions are written anyway (EmitAll).
  int64_t through = now_rel < 0 ? -1 : now_rel / kNsPerS;
  const int64_t end = end_ns_.load(std::memory_order_relaxed);
  if (end != INT64_MAX) {
    through = std::min(through, end <= 0 ? -1 : (end - 1) / kNsPerS);
  }
  EmitAll(through);
  summary_.meta = meta_;
  summary_.hits_written = written_;
  summary_.hits_write_errors = unwritten_;
  const std::string summary_path = opt_.run_dir + "/summary.json";
  // Replaced whole (temp + fsync + rename): a reader never sees half a summary, and its
  // presence means the run finished (`report` calls a run without one incomplete).
  absl::Status summary_st = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> f, OutputFile::Open(summary_path));
    RETURN_IF_ERROR(f->Write(RenderReport(summary_, true)));
    return f->Commit();
  }();
  if (!summary_st.ok()) {
    NoteError(summary_st);
  }
  if (opt_.live != nullptr && opt_.live_tty) {
    std::fputc('\n', opt_.live);
    std::fflush(opt_.live);
  }
  for (int* fd_ptr : {&hits_fd_, &agg_fd_, &stats_fd_, &phout_fd_, &answ_fd_}) {
    if (*fd_ptr >= 0) {
      if (close(*fd_ptr) != 0) {
        NoteError(absl::InternalError(absl::StrCat(opt_.run_dir, ": close: ", strerror(errno))));
      }
      *fd_ptr = -1;
    }
  }
  return error_;
}

Collector::Collector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Collector::~Collector() = default;

absl::StatusOr<std::unique_ptr<Collector>> Collector::Start(CollectorOptions options,
                                                            std::vector<ResultRing*> rings) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(rings));
  RETURN_IF_ERROR(impl->Open());
  impl->StartThread();
  return std::unique_ptr<Collector>(new Collector(std::move(impl)));
}

absl::Status Collector::Finish() { return impl_->Finish(); }

const RunSummary& Collector::summary() const { return impl_->summary_; }

uint64_t Collector::answ_written() const { return impl_->answ_written_; }
uint64_t Collector::answ_dropped() const { return impl_->answ_dropped_; }

void Collector::SetEnd(int64_t t_ns) {
  int64_t cur = impl_->end_ns_.load();
  while (t_ns < cur && !impl_->end_ns_.compare_exchange_weak(cur, t_ns)) {
  }
}

uint64_t Collector::hits_so_far() const {
  return impl_->hits_so_far_.load(std::memory_order_relaxed);
}

}  // namespace incarne
