// Per-second, per-tag aggregates built by a worker and handed to the collector, so that no hit
// is missing from the stats whatever happens to its raw record (docs/engine.md "Workers",
// docs/results.md §2).
//
// The worker adds every finished hit to the block of its second of completion (done / 1e9, the
// collector's rule) and hands a block over once its second has ended kHandoffGraceNs ago (or
// when it needs the room); the collector merges each block exactly (Stats::Merge of each tag's
// StatsTally, the per-hit form of a Stats) into its own second, by the same rule it applies to
// raw records: a block of a second already written goes into the oldest second not yet written
// and its hits count as `late`.
//
// Blocks travel through two single-producer/single-consumer queues of pointers: full blocks
// worker → collector, cleared blocks back. kBlocks blocks exist per worker, so neither queue can
// overflow. Tallies (one per tag used in a block's second, ~55 KiB each) come from a pool owned
// here: a block returned empty gives its tallies back to the pool, so in a steady run nothing is
// allocated; a tag seen for the first time in a second when the pool is empty allocates one
// tally (once, never per hit: the pool keeps it).
//
// When the collector returns nothing for kBlocks seconds (it is stalled) the worker adds the
// hits of a new second to its newest open block and counts them as `misfiled` (the collector
// counts them as late): never lost.
//
// Thread contract: Add/Tick/FlushAll/next_deadline on the producer (worker) thread only;
// Pop/Recycle on the consumer (collector) thread only. Add never blocks.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "plan/plan.h"
#include "results/hit_record.h"
#include "results/stats.h"

namespace incarne {

// One second of one worker's completions.
struct SecondBlock {
  int64_t second = 0;             // completion second (done / 1e9)
  uint64_t hits = 0;              // hits added (sum of the tags' hits()), set at the handover
  uint64_t misfiled = 0;          // of those, hits of another second (no free block): late
  std::vector<StatsTally*> tags;  // by tag id; nullptr when the tag had no hit
  std::vector<uint16_t> used;     // tag ids with a tally, in first-use order
};

// Which raw records a worker sends through its result ring (results.hits, and every record
// when phout.log is written from them). Per worker: `sample:N` keeps each worker's every N-th
// success, and every error.
class RawFilter {
 public:
  RawFilter() = default;
  RawFilter(HitsKeep keep, bool all) : keep_(keep), all_(all || keep.mode == HitsKeep::Mode::kAll) {
    if (keep_.every == 0) {
      keep_.every = 1;
    }
  }
  bool all() const { return all_; }
  bool Want(const HitRecord& r) {
    if (all_) {
      return true;
    }
    if (IsError(r)) {
      return true;
    }
    if (keep_.mode != HitsKeep::Mode::kSample) {
      return false;
    }
    const bool keep = successes_ == 0;
    successes_ = successes_ + 1 == keep_.every ? 0 : successes_ + 1;
    return keep;
  }

 private:
  HitsKeep keep_;
  bool all_ = true;
  uint32_t successes_ = 0;
};

class SecondAggregates {
 public:
  static constexpr int kBlocks = 8;   // per worker; a power of two (queue capacity)
  static constexpr int kMaxOpen = 3;  // blocks the worker fills at once
  static constexpr int64_t kNsPerS = 1'000'000'000;
  // A block is handed over this long after its second ended: completions reaped late with an
  // earlier kernel stamp still find it open. Well inside the collector's 250 ms grace.
  static constexpr int64_t kHandoffGraceNs = 20'000'000;

  // `tags`: size of the ammo tag table (≥ 1); tag ids ≥ tags count as tag 0, as in the
  // collector. Allocates every block and a first pool of tallies.
  explicit SecondAggregates(uint32_t tags);
  ~SecondAggregates();
  SecondAggregates(const SecondAggregates&) = delete;
  SecondAggregates& operator=(const SecondAggregates&) = delete;

  // ---- producer (worker thread) ----
  [[gnu::always_inline]] void Add(const HitRecord& r) {
    // The hit's tally is the last one's unless its completion time leaves [cur_lo_, cur_lo_ +
    // 1 s) (cur_sec_'s range: no division per hit) or its tag changes.
    const uint16_t tag = r.tag < ntags_ ? r.tag : 0;
    if (__builtin_expect(r.done - cur_lo_ >= static_cast<uint64_t>(kNsPerS) || tag != cur_tag_ ||
                             cur_tally_ == nullptr,
                         0)) {
      SelectTally(r.done, tag);
    }
    cur_tally_->Add(r);
    if (__builtin_expect(misfiling_, 0)) {
      ++cur_->misfiled;
    }
  }
  // Hands over the blocks whose second ended kHandoffGraceNs before `now_ns` (ns since the
  // origin). Cheap when there is nothing to do: call once per loop pass.
  void Tick(int64_t now_ns) {
    if (now_ns >= next_deadline_) {
      HandOffDue(now_ns);
    }
  }
  // When Tick has work next (INT64_MAX: no open block): a worker that sleeps wakes by then.
  int64_t next_deadline() const { return next_deadline_; }
  // Hands over every open block (the worker's end).
  void FlushAll();
  // Whether a cleared block is at hand for a new second (false: the collector holds every
  // other block, and a new second's hits would be misfiled). For producers that can wait.
  bool HasSpare() {
    while (SecondBlock* b = free_.Pop()) {
      spare_.push_back(b);
    }
    return !spare_.empty();
  }

  // ---- consumer (collector thread) ----
  // The next block handed over, or nullptr. Valid until Recycle().
  SecondBlock* Pop();
  // Clears `b` (its tallies stay with it) and gives it back to the worker.
  void Recycle(SecondBlock* b);

 private:
  // Fixed-capacity SPSC queue of block pointers.
  class Queue {
   public:
    bool Push(SecondBlock* b) {
      const uint64_t h = head_.load(std::memory_order_relaxed);
      if (h - tail_.load(std::memory_order_acquire) >= kBlocks) {
        return false;
      }
      slots_[h & (kBlocks - 1)] = b;
      head_.store(h + 1, std::memory_order_release);
      return true;
    }
    SecondBlock* Pop() {
      const uint64_t t = tail_.load(std::memory_order_relaxed);
      if (t == head_.load(std::memory_order_acquire)) {
        return nullptr;
      }
      SecondBlock* b = slots_[t & (kBlocks - 1)];
      tail_.store(t + 1, std::memory_order_release);
      return b;
    }

   private:
    std::array<SecondBlock*, kBlocks> slots_{};
    alignas(64) std::atomic<uint64_t> head_{0};
    alignas(64) std::atomic<uint64_t> tail_{0};
  };
  static_assert((kBlocks & (kBlocks - 1)) == 0);

  void Select(int64_t sec);
  // Points cur_tally_ at the tally of `tag` in the block of done's second.
  [[gnu::noinline]] void SelectTally(uint64_t done, uint16_t tag);
  SecondBlock* Acquire();
  void HandOff(int i);
  void HandOffDue(int64_t now_ns);
  bool CanRelease();
  void UpdateDeadline();
  StatsTally* TakeTally();

  uint16_t ntags_ = 1;
  std::vector<std::unique_ptr<SecondBlock>> blocks_;
  std::vector<std::unique_ptr<StatsTally>> owned_;  // every tally, whoever holds it now
  std::vector<StatsTally*> pool_;                   // producer-private; capacity ≥ owned_.size()
  std::array<SecondBlock*, kMaxOpen> open_{};       // producer-private, open_[0..n_open_)
  int n_open_ = 0;
  SecondBlock* cur_ = nullptr;
  int64_t cur_sec_ = INT64_MIN;
  uint64_t cur_lo_ = 0;  // cur_sec_ · 1e9 (meaningless while cur_ is null)
  uint16_t cur_tag_ = 0;
  StatsTally* cur_tally_ = nullptr;  // cur_tag_'s in cur_; null when cur_ changed or is null
  bool misfiling_ = false;           // cur_ was chosen for want of a block for cur_sec_
  int64_t next_deadline_ = INT64_MAX;
  std::vector<SecondBlock*> spare_;  // producer-private: cleared blocks taken from free_
  Queue full_;                       // worker → collector
  Queue free_;                       // collector → worker (cleared)
};

}  // namespace incarne
