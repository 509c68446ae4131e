// Per-worker single-producer/single-consumer ring of HitRecords in shared memory (memfd).
//
// Layout (documented in docs/formats.md so another process can attach through the memfd):
//   offset 0     RingHeader (4096 bytes): magic "INCRING1", version, record size, capacity
//                (a power of two), worker id; head (producer), tail (consumer) and the worker's
//                live counters each on their own cache line.
//   offset 4096  capacity × 64-byte HitRecord slots; record n lives in slot n & (capacity−1).
//
// Thread contract: exactly one producer thread (the worker) calls Push/Publish/counter
// setters; exactly one consumer thread (the collector) calls Peek/Release. Push never blocks
// and never allocates: when the ring is full the record is counted in `dropped` and Push
// returns false (the collector reports drops; they are never silent).
//
// With EnableSeconds() (what the engine's workers do) the worker also aggregates every hit per
// second and tag itself (SecondAggregates, handed to the collector beside the ring) and sends
// raw records only as RawFilter asks: a full ring then costs a raw record, never a stat.
// Without it (tests, tools) the collector aggregates the raw records as they come.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "absl/status/statusor.h"
#include "results/hit_record.h"
#include "results/second_aggregates.h"

namespace incarne {

inline constexpr char kRingMagic[8] = {'I', 'N', 'C', 'R', 'I', 'N', 'G', '1'};
inline constexpr uint32_t kRingVersion = 1;

struct alignas(64) RingHeader {
  char magic[8];
  uint32_t version;
  uint32_t record_size;  // 64
  uint64_t capacity;     // records, power of two
  uint32_t worker;
  uint32_t reserved0;
  alignas(64) std::atomic<uint64_t> head;  // records published by the producer
  alignas(64) std::atomic<uint64_t> tail;  // records released by the consumer
  // Worker counters, written by the producer with relaxed stores, sampled by the collector.
  alignas(64) std::atomic<uint64_t> dropped;  // records lost to a full ring
  std::atomic<uint64_t> shots_due;            // shots whose planned time has passed
  std::atomic<uint64_t> shots_fired;          // shots actually started (or dropped: 777)
  std::atomic<uint64_t> inflight;             // hits in flight now
  std::atomic<uint64_t> inflight_max;         // max since the collector last reset it
  std::atomic<uint64_t> finished;             // 1 when the worker has stopped producing
  // Appended in version 1 (readers of older rings see 0): ns the worker spent waiting for
  // ring space (closed model: a raw record it must not drop), a generator stall.
  std::atomic<uint64_t> ring_wait_ns;
};
static_assert(sizeof(RingHeader) <= 4096);

class ResultRing {
 public:
  // Creates a memfd-backed ring with `capacity` records (rounded up to a power of two).
  static absl::StatusOr<ResultRing> Create(uint64_t capacity, uint32_t worker);
  ResultRing(ResultRing&&) noexcept;
  ResultRing& operator=(ResultRing&&) noexcept;
  ResultRing(const ResultRing&) = delete;
  ResultRing& operator=(const ResultRing&) = delete;
  ~ResultRing();

  int memfd() const { return fd_; }
  RingHeader* header() const { return header_; }
  uint64_t capacity() const { return capacity_; }

  // ---- control thread, before the producer starts ----
  // The worker aggregates per second (`tags`: the ammo tag table's size) and sends raw
  // records through the ring only as `raw` says. Allocates; call before the collector starts.
  void EnableSeconds(uint32_t tags, RawFilter raw) {
    seconds_ = std::make_unique<SecondAggregates>(tags);
    raw_ = raw;
  }
  // Null unless EnableSeconds() was called.
  SecondAggregates* seconds() const { return seconds_.get(); }

  // ---- producer (worker thread) ----
  // Copies `r` into the next slot; false (and `dropped` counted) when full. Not yet visible
  // to the consumer until Publish() (or every kPublishBatch records).
  bool Push(const HitRecord& r) {
    if (TryPush(r)) {
      return true;
    }
    CountDropped();
    return false;
  }
  // Push without counting a drop: false when full (the caller waits, or CountDropped()).
  bool TryPush(const HitRecord& r) {
    if (local_head_ - cached_tail_ >= capacity_) {
      cached_tail_ = header_->tail.load(std::memory_order_acquire);
      if (local_head_ - cached_tail_ >= capacity_) {
        return false;
      }
    }
    slots_[local_head_ & (capacity_ - 1)] = r;
    ++local_head_;
    if ((local_head_ & (kPublishBatch - 1)) == 0) {
      Publish();
    }
    return true;
  }
  void CountDropped() {
    header_->dropped.store(header_->dropped.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
  }
  void AddRingWait(uint64_t ns) {
    header_->ring_wait_ns.store(header_->ring_wait_ns.load(std::memory_order_relaxed) + ns,
                                std::memory_order_relaxed);
  }
  // Whether record `r` goes through the ring (always true without EnableSeconds()).
  bool WantRaw(const HitRecord& r) { return raw_.Want(r); }
  // Makes every pushed record visible to the consumer. Call once per worker loop pass.
  void Publish() { header_->head.store(local_head_, std::memory_order_release); }
  void SetCounters(uint64_t shots_due, uint64_t shots_fired, uint64_t inflight) {
    header_->shots_due.store(shots_due, std::memory_order_relaxed);
    header_->shots_fired.store(shots_fired, std::memory_order_relaxed);
    header_->inflight.store(inflight, std::memory_order_relaxed);
    if (inflight > header_->inflight_max.load(std::memory_order_relaxed)) {
      header_->inflight_max.store(inflight, std::memory_order_relaxed);
    }
  }
  void MarkFinished() {
    Publish();
    header_->finished.store(1, std::memory_order_release);
  }

  // ---- consumer (collector thread) ----
  // The published, not yet released records as up to two contiguous spans (wrap-around).
  // They stay valid until Release(n).
  struct Batch {
    std::span<const HitRecord> first;
    std::span<const HitRecord> second;
    size_t size() const { return first.size() + second.size(); }
  };
  Batch Peek(uint64_t max_records) const;
  void Release(uint64_t n);
  bool finished() const { return header_->finished.load(std::memory_order_acquire) != 0; }

  static constexpr uint64_t kPublishBatch = 32;

 private:
  ResultRing() = default;
  int fd_ = -1;
  RingHeader* header_ = nullptr;
  HitRecord* slots_ = nullptr;
  uint64_t capacity_ = 0;
  size_t map_size_ = 0;
  uint64_t local_head_ = 0;   // producer-private
  uint64_t cached_tail_ = 0;  // producer-private
  RawFilter raw_;             // producer-private
  std::unique_ptr<SecondAggregates> seconds_;
};

}  // namespace incarne
