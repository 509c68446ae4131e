// Log-linear latency histogram with HdrHistogram's bucket layout, in-tree.
//
// Values are nanoseconds. The layout is exactly HdrHistogram's for lowest discernible value 1,
// 2 significant digits (256 sub-buckets, 128 per half) and highest trackable value 1 hour:
// values 0..255 are exact; above, each power-of-two range [2^k, 2^(k+1)) is split into 128
// equal buckets, so a bucket's width is at most 1/128 of its lowest value (≤ 0.79 % relative
// error for every value ≥ 1 µs, exact below 256 ns). The counts array has kCounts (4608)
// entries = 36 KiB, whatever is recorded: memory is fixed. Because the layout is
// HdrHistogram's, the counts are written as-is into `.hlog` files (convert --to hlog).
//
// Values above kMaxValue (2^42 − 1 ns ≈ 73 min) are counted in the last bucket; max() keeps
// the true maximum. Merge is exact (counts add), so merge(a, b) == histogram(a ∪ b).
//
// A histogram read by DecodeFrom remembers which of its buckets are non-empty when they are few
// (a per-tag second of a run holds tens of hits over hundreds of buckets): Merge from it and
// Clear of it then touch only those buckets, which is what lets `report` and `plot` read an
// hour of 100 tags quickly. Record() does not maintain the list; it is simply no longer used
// once anything is added after the decode.
//
// Thread contract: none (one owner). Record() is branch-light and never allocates.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace incarne {

class HistogramTally;
class SparseHistogram;

class Histogram {
 public:
  static constexpr int kSubBucketHalfBits = 7;                   // 128 per half
  static constexpr int kSubBucketBits = kSubBucketHalfBits + 1;  // 256 sub-buckets
  static constexpr uint64_t kSubBucketMask = (uint64_t{1} << kSubBucketBits) - 1;
  static constexpr int kBucketCount = 35;  // HdrHistogram for 1 h in ns
  static constexpr int kCounts = (kBucketCount + 1) << kSubBucketHalfBits;  // 4608
  static constexpr uint64_t kMaxValue = (uint64_t{1} << (kBucketCount + kSubBucketHalfBits)) - 1;
  // What the hlog header claims (HdrHistogram sizes its counts array from it; same 4608).
  static constexpr int64_t kHighestTrackable = int64_t{3600} * 1000 * 1000 * 1000;
  static constexpr int kSignificantDigits = 2;

  Histogram() { counts_.fill(0); }

  // Index of the bucket holding v (HdrHistogram's counts_index with unit magnitude 0).
  static int IndexOf(uint64_t v) {
    if (v > kMaxValue) {
      v = kMaxValue;
    }
    const int bucket = 64 - __builtin_clzll(v | kSubBucketMask) - kSubBucketBits;
    const int sub = static_cast<int>(v >> bucket);
    return ((bucket + 1) << kSubBucketHalfBits) + sub - (1 << kSubBucketHalfBits);
  }
  // The lowest value that lands in bucket `index`.
  static uint64_t LowestAt(int index) {
    int bucket = (index >> kSubBucketHalfBits) - 1;
    int sub = (index & ((1 << kSubBucketHalfBits) - 1)) + (1 << kSubBucketHalfBits);
    if (bucket < 0) {
      sub -= 1 << kSubBucketHalfBits;
      bucket = 0;
    }
    return static_cast<uint64_t>(sub) << bucket;
  }
  // The highest value that lands in bucket `index`.
  static uint64_t HighestAt(int index) {
    const int bucket = std::max((index >> kSubBucketHalfBits) - 1, 0);
    return LowestAt(index) + (uint64_t{1} << bucket) - 1;
  }

  void Record(uint64_t v) { Record(v, 1); }
  void Record(uint64_t v, uint64_t n) {
    if (n == 0) {
      return;
    }
    counts_[IndexOf(v)] += n;
    total_ += n;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
    sum_ += static_cast<__uint128_t>(v) * n;
  }

  void Merge(const Histogram& o);
  // Adds what `t` recorded: `total` values summing to `sum` (the tally keeps neither when its
  // owner can derive them; see StatsTally).
  void Merge(const HistogramTally& t, uint64_t total, __uint128_t sum);
  // Adds the counts a SparseHistogram gathered: exactly the merge of what was merged into it.
  void Merge(const SparseHistogram& s);
  void Clear();

  uint64_t count() const { return total_; }
  uint64_t min() const { return total_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return total_ == 0 ? 0.0 : static_cast<double>(sum_) / total_; }
  __uint128_t sum() const { return sum_; }
  uint64_t count_at(int index) const { return counts_[index]; }
  // Lowest/highest non-empty bucket index (the buckets of min and max); lo > hi when empty.
  int lo_index() const { return total_ == 0 ? kCounts : IndexOf(min_); }
  int hi_index() const { return total_ == 0 ? -1 : IndexOf(max_); }

  // The value at percentile p (0..100): the highest value of the bucket holding the
  // ceil(p/100 · count)-th smallest recorded value (at least the 1st), clamped to
  // [min, max]. p = 100 gives max(). 0 for an empty histogram.
  uint64_t ValueAtPercentile(double p) const;
  // The 1-based rank ValueAtPercentile uses: ceil(p/100 · n) in exact integer arithmetic
  // (p rounded to 6 decimals), clamped to [1, n]; 0 when n = 0.
  static uint64_t RankAt(double p, uint64_t n);

  // Compact, exact serialisation used by the `aggregates` file (docs/results.md): varints of
  // count, min, max, sum (lo/hi 64 bits) then the counts from lo_index to hi_index with
  // zero runs encoded as negative ZigZag values (HdrHistogram V2 style).
  void AppendEncoded(std::string* out) const;
  // Parses what AppendEncoded wrote from *in, advancing it. Rejects malformed input.
  absl::Status DecodeFrom(std::string_view* in);

  // HdrHistogram "V2 compressed" encoding (cookie 0x1c849314, zlib-deflated V2 payload), the
  // bytes that `.hlog` lines carry base64-encoded. Values stay in ns (conversion ratio 1).
  std::string EncodeHdrCompressed() const;

  friend bool operator==(const Histogram& a, const Histogram& b);

 private:
  friend class SparseHistogram;
  static constexpr int kSparseMax = 64;
  // The sparse list is valid while total_ == sparse_total_: it is set by DecodeFrom (and to
  // the empty list by Clear), and totals only grow between Clears, so any Record or Merge of a
  // non-empty histogram since then makes it invalid.
  bool sparse() const { return sparse_total_ == total_; }

  std::array<uint64_t, kCounts> counts_;
  uint64_t total_ = 0;
  uint64_t sparse_total_ = 0;
  int sparse_n_ = 0;
  std::array<uint16_t, kSparseMax + 1> sparse_{};  // [kSparseMax]: DecodeFrom's spill slot
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  __uint128_t sum_ = 0;
};

// The (bucket, count) entries of many sparse histograms merged together, with their total, min,
// max and sum: what `plot` keeps for each tag's open bin. Merging a decoded tag-second appends
// its few non-empty buckets to one growing array — sequential writes to a few KiB per tag —
// where a dense Histogram per tag (36 KiB each, 100 tags × 3 of them) would scatter cache-missing
// adds over megabytes. Histogram::Merge(SparseHistogram) expands it, exactly, into a dense one.
// Entries are compacted (sorted, equal buckets added) when they outgrow a dense histogram's
// bucket count, so the memory stays within a few times that of a Histogram whatever is merged.
//
// Thread contract: none (one owner). Merge allocates only when the array grows.
class SparseHistogram {
 public:
  // Adds every count of h (its sparse bucket list when DecodeFrom left one, else its range).
  void Merge(const Histogram& h);
  // Empties it; keeps the array's memory.
  void Clear();
  uint64_t count() const { return total_; }
  size_t entries() const { return entries_.size(); }

 private:
  friend class Histogram;
  // An entry is bucket << kCountBits | count; a count above kMaxCount takes several entries.
  static constexpr int kCountBits = 48;
  static constexpr uint64_t kMaxCount = (uint64_t{1} << kCountBits) - 1;
  void Append(uint64_t index, uint64_t count) {
    while (__builtin_expect(count > kMaxCount, 0)) {
      entries_.push_back(index << kCountBits | kMaxCount);
      count -= kMaxCount;
    }
    entries_.push_back(index << kCountBits | count);
  }
  void Compact();

  std::vector<uint64_t> entries_;
  size_t compact_at_ = Histogram::kCounts;
  uint64_t total_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  __uint128_t sum_ = 0;
};

// The per-hit half of a Histogram, for the worker's per-second aggregates (StatsTally): the
// same buckets with 32-bit counts (a worker completes far fewer than 2^32 hits in one second),
// the exact min, max and sum, and no total (its owner counts the values). Recording touches one
// bucket and the sum; min and max are stored only when they change. Histogram::Merge(tally,
// total) gives exactly what Histogram::Record would have built from the same values.
//
// Thread contract: none (one owner at a time). Never allocates after construction.
class HistogramTally {
 public:
  HistogramTally() { counts_.fill(0); }

  void Record(uint64_t v) {
    RecordNoSum(v);
    AddSum(v);
  }
  // Records v in the buckets and min/max only: its sum is accounted for by the owner
  // (AddSum, or derived from other sums).
  void RecordNoSum(uint64_t v) {
    ++counts_[Histogram::IndexOf(v)];
    MinMax(v);
  }
  // Record() and RecordNoSum() of a value known to be ≤ Histogram::kMaxValue.
  void RecordInRange(uint64_t v) {
    RecordInRangeNoSum(v);
    AddSum(v);
  }
  void RecordInRangeNoSum(uint64_t v) {
    const int bucket =
        64 - __builtin_clzll(v | Histogram::kSubBucketMask) - Histogram::kSubBucketBits;
    ++counts_[((bucket + 1) << Histogram::kSubBucketHalfBits) + static_cast<int>(v >> bucket) -
              (1 << Histogram::kSubBucketHalfBits)];
    MinMax(v);
  }
  void AddSum(uint64_t v) {
    sum_lo_ += v;
    if (__builtin_expect(sum_lo_ < v, 0)) {
      ++sum_hi_;
    }
  }
  __uint128_t sum() const { return (static_cast<__uint128_t>(sum_hi_) << 64) | sum_lo_; }
  bool empty() const { return min_ > max_; }
  uint64_t min() const { return min_; }
  uint64_t max() const { return max_; }
  uint32_t count_at(int index) const { return counts_[index]; }
  // Clears the buckets between those of min and max (the only ones that can be non-empty).
  void Clear();

 private:
  void MinMax(uint64_t v) {
    if (__builtin_expect(v < min_, 0)) {
      min_ = v;
    }
    if (__builtin_expect(v > max_, 0)) {
      max_ = v;
    }
  }

  std::array<uint32_t, Histogram::kCounts> counts_;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  uint64_t sum_lo_ = 0;
  uint64_t sum_hi_ = 0;
};

// LEB128 varints with ZigZag for signed values (shared by the encoders in results/).
void AppendVarint(std::string* out, uint64_t v);
// The varint at p when it is at most 8 bytes long (56 bits: every count, time and size but a
// sum's high word), reading exactly 8 bytes from p: its length, or 0 when it is longer. The
// first byte without the continuation bit ends it; its 7-bit groups are packed in three
// shift-and-mask steps instead of a loop with a branch per byte.
inline size_t ReadVarint8(const char* p, uint64_t* v) {
  static_assert(std::endian::native == std::endian::little);
  uint64_t w;
  std::memcpy(&w, p, 8);
  const uint64_t stops = ~w & 0x8080808080808080u;
  if (stops == 0) {
    return 0;
  }
  const int bits = __builtin_ctzll(stops) + 1;  // 8 × the varint's length
  if (bits < 64) {
    w &= (uint64_t{1} << bits) - 1;
  }
  w &= 0x7f7f7f7f7f7f7f7fu;
  w = (w & 0x007f007f007f007fu) | ((w & 0x7f007f007f007f00u) >> 1);
  w = (w & 0x00003fff00003fffu) | ((w & 0x3fff00003fff0000u) >> 2);
  w = (w & 0x000000000fffffffu) | ((w & 0x0fffffff00000000u) >> 4);
  *v = w;
  return static_cast<size_t>(bits / 8);
}
// Reads one varint from *in, advancing it; false (and *in left somewhere inside) when it is
// truncated or longer than 64 bits. Up to 8 bytes with 8 readable take the inline paths.
bool ReadVarintSlow(std::string_view* in, uint64_t* v);
inline bool ReadVarint(std::string_view* in, uint64_t* v) {
  if (!in->empty() && static_cast<uint8_t>(in->front()) < 0x80) {
    *v = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    return true;
  }
  if (in->size() >= 8) {
    if (const size_t n = ReadVarint8(in->data(), v); n != 0) {
      in->remove_prefix(n);
      return true;
    }
  }
  return ReadVarintSlow(in, v);
}
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

}  // namespace incarne
