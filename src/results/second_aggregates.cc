#include "results/second_aggregates.h"

#include <algorithm>

#include "util/check.h"

namespace incarne {
namespace {

// Seconds past this cannot take (second + 1) · 1e9 + grace without overflow: such a block (a
// completion time before the origin, wrapped) is handed over only for room or at the end.
constexpr int64_t kMaxTimedSecond = INT64_MAX / SecondAggregates::kNsPerS - 2;

int64_t DeadlineOf(int64_t second) {
  if (second < 0 || second > kMaxTimedSecond) {
    return INT64_MAX - 1;
  }
  return (second + 1) * SecondAggregates::kNsPerS + SecondAggregates::kHandoffGraceNs;
}

}  // namespace

SecondAggregates::SecondAggregates(uint32_t tags) {
  ntags_ = static_cast<uint16_t>(std::clamp<uint32_t>(tags, 1, 65535));
  blocks_.reserve(kBlocks);
  spare_.reserve(kBlocks);
  for (int i = 0; i < kBlocks; ++i) {
    blocks_.push_back(std::make_unique<SecondBlock>());
    SecondBlock* b = blocks_.back().get();
    b->tags.assign(ntags_, nullptr);
    b->used.reserve(ntags_);
    spare_.push_back(b);
  }
  // A first pool: a few seconds of the first tags. More come on first use (TakeTally).
  const size_t first = static_cast<size_t>(kMaxOpen) * std::min<uint32_t>(ntags_, 2);
  pool_.reserve(first);
  for (size_t i = 0; i < first; ++i) {
    owned_.push_back(std::make_unique<StatsTally>());
    pool_.push_back(owned_.back().get());
  }
}

SecondAggregates::~SecondAggregates() = default;

StatsTally* SecondAggregates::TakeTally() {
  if (pool_.empty()) {
    owned_.push_back(std::make_unique<StatsTally>());
    pool_.reserve(owned_.size());  // every tally can come back to the pool without allocating
    return owned_.back().get();
  }
  StatsTally* s = pool_.back();
  pool_.pop_back();
  return s;
}

SecondBlock* SecondAggregates::Acquire() {
  if (spare_.empty()) {
    while (SecondBlock* b = free_.Pop()) {
      spare_.push_back(b);
    }
  }
  if (spare_.empty()) {
    return nullptr;
  }
  SecondBlock* b = spare_.back();
  spare_.pop_back();
  // The collector cleared its tallies: they go back to the pool, the block starts empty.
  for (uint16_t t : b->used) {
    pool_.push_back(b->tags[t]);
    b->tags[t] = nullptr;
  }
  b->used.clear();
  b->hits = 0;
  b->misfiled = 0;
  return b;
}

bool SecondAggregates::CanRelease() {
  if (n_open_ > 1 || !spare_.empty()) {
    return true;
  }
  while (SecondBlock* b = free_.Pop()) {
    spare_.push_back(b);
  }
  return !spare_.empty();
}

void SecondAggregates::SelectTally(uint64_t done, uint16_t tag) {
  if (done - cur_lo_ >= static_cast<uint64_t>(kNsPerS) || cur_ == nullptr) {
    Select(static_cast<int64_t>(done / kNsPerS));
  }
  StatsTally* t = cur_->tags[tag];
  if (t == nullptr) {
    t = TakeTally();
    cur_->tags[tag] = t;
    cur_->used.push_back(tag);  // reserved to the tag count: never allocates
  }
  cur_tag_ = tag;
  cur_tally_ = t;
}

void SecondAggregates::Select(int64_t sec) {
  cur_tally_ = nullptr;
  misfiling_ = false;
  cur_sec_ = sec;
  cur_lo_ = static_cast<uint64_t>(sec) * kNsPerS;  // sec = done / 1e9: no overflow
  for (int i = 0; i < n_open_; ++i) {
    if (open_[i]->second == sec) {
      cur_ = open_[i];
      return;
    }
  }
  if (n_open_ == kMaxOpen) {
    int oldest = 0;
    for (int i = 1; i < n_open_; ++i) {
      if (open_[i]->second < open_[oldest]->second) {
        oldest = i;
      }
    }
    HandOff(oldest);
  }
  SecondBlock* b = Acquire();
  if (b == nullptr) {
    // The collector has every other block: the newest open one takes these hits, counted
    // as misfiled (late). CanRelease() keeps one block open for this.
    DCHECK(n_open_ > 0);
    int newest = 0;
    for (int i = 1; i < n_open_; ++i) {
      if (open_[i]->second > open_[newest]->second) {
        newest = i;
      }
    }
    cur_ = open_[newest];
    misfiling_ = true;
    return;
  }
  b->second = sec;
  open_[n_open_++] = b;
  cur_ = b;
  next_deadline_ = std::min(next_deadline_, DeadlineOf(sec));
}

void SecondAggregates::HandOff(int i) {
  SecondBlock* b = open_[i];
  open_[i] = open_[--n_open_];
  open_[n_open_] = nullptr;
  if (b == cur_) {
    cur_ = nullptr;
    cur_tally_ = nullptr;
    cur_sec_ = INT64_MIN;
  }
  b->hits = 0;
  for (uint16_t t : b->used) {
    b->hits += b->tags[t]->hits();
  }
  if (b->hits == 0) {
    spare_.push_back(b);  // nothing to tell: straight back (its tallies are all empty)
  } else {
    const bool pushed = full_.Push(b);  // kBlocks slots for kBlocks blocks: always room
    DCHECK(pushed);
  }
  UpdateDeadline();
}

void SecondAggregates::UpdateDeadline() {
  next_deadline_ = INT64_MAX;
  for (int i = 0; i < n_open_; ++i) {
    next_deadline_ = std::min(next_deadline_, DeadlineOf(open_[i]->second));
  }
}

void SecondAggregates::HandOffDue(int64_t now_ns) {
  for (int i = 0; i < n_open_;) {
    if (DeadlineOf(open_[i]->second) <= now_ns) {
      if (!CanRelease()) {
        // The last block, and the collector has all the others: keep it open and look
        // again in a millisecond rather than at every pass.
        next_deadline_ = now_ns + 1'000'000;
        return;
      }
      HandOff(i);  // moves the last open block to i: look at i again
    } else {
      ++i;
    }
  }
  UpdateDeadline();
}

void SecondAggregates::FlushAll() {
  while (n_open_ > 0) {
    HandOff(n_open_ - 1);
  }
}

SecondBlock* SecondAggregates::Pop() { return full_.Pop(); }

void SecondAggregates::Recycle(SecondBlock* b) {
  for (uint16_t t : b->used) {
    b->tags[t]->Clear();
  }
  const bool pushed = free_.Push(b);
  DCHECK(pushed);
}

}  // namespace incarne
