#include "results/histogram.h"

#include <zlib.h>

#include <cmath>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace incarne {
namespace {

constexpr uint32_t kHdrV2Cookie = 0x1c849313;            // V2 encoding, uncompressed
constexpr uint32_t kHdrV2CompressedCookie = 0x1c849314;  // V2 encoding, zlib-deflated

void PutBe32(std::string* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) {
    out->push_back(static_cast<char>((v >> s) & 0xff));
  }
}
void PutBe64(std::string* out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) {
    out->push_back(static_cast<char>((v >> s) & 0xff));
  }
}
void SetBe32(std::string* out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    (*out)[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  }
}

}  // namespace

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool ReadVarintSlow(std::string_view* in, uint64_t* v) {
  if (in->size() >= 8) {
    if (const size_t n = ReadVarint8(in->data(), v); n != 0) {
      in->remove_prefix(n);
      return true;
    }
  }
  // Reads from a local pointer and advances *in once: updating *in per byte kept it in memory.
  const uint8_t* const p = reinterpret_cast<const uint8_t*>(in->data());
  const size_t n = std::min<size_t>(in->size(), 10);
  uint64_t r = 0;
  for (size_t k = 0; k < n; ++k) {
    const uint8_t b = p[k];
    if (k == 9 && b > 1) {
      return false;
    }
    r |= static_cast<uint64_t>(b & 0x7f) << (7 * k);
    if ((b & 0x80) == 0) {
      *v = r;
      in->remove_prefix(k + 1);
      return true;
    }
  }
  return false;
}

void Histogram::Clear() {
  if (total_ != 0) {
    if (sparse()) {
      for (int k = 0; k < sparse_n_; ++k) {
        counts_[sparse_[k]] = 0;
      }
    } else {
      const int lo = lo_index(), hi = hi_index();
      std::memset(&counts_[lo], 0, sizeof(uint64_t) * (hi - lo + 1));
    }
  }
  total_ = 0;
  sparse_total_ = 0;
  sparse_n_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

void Histogram::Merge(const Histogram& o) {
  if (o.total_ == 0) {
    return;
  }
  if (o.sparse()) {
    for (int k = 0; k < o.sparse_n_; ++k) {
      counts_[o.sparse_[k]] += o.counts_[o.sparse_[k]];
    }
  } else {
    for (int i = o.lo_index(), hi = o.hi_index(); i <= hi; ++i) {
      counts_[i] += o.counts_[i];
    }
  }
  total_ += o.total_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
  sum_ += o.sum_;
}

void Histogram::Merge(const HistogramTally& t, uint64_t total, __uint128_t sum) {
  if (total == 0 || t.empty()) {
    return;
  }
  for (int i = IndexOf(t.min()), hi = IndexOf(t.max()); i <= hi; ++i) {
    counts_[i] += t.count_at(i);
  }
  total_ += total;
  min_ = std::min(min_, t.min());
  max_ = std::max(max_, t.max());
  sum_ += sum;
}

void Histogram::Merge(const SparseHistogram& o) {
  if (o.total_ == 0) {
    return;
  }
  for (const uint64_t e : o.entries_) {
    counts_[e >> SparseHistogram::kCountBits] += e & SparseHistogram::kMaxCount;
  }
  total_ += o.total_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
  sum_ += o.sum_;
}

void SparseHistogram::Merge(const Histogram& h) {
  if (h.total_ == 0) {
    return;
  }
  if (h.sparse()) {
    for (int k = 0; k < h.sparse_n_; ++k) {
      Append(h.sparse_[k], h.counts_[h.sparse_[k]]);
    }
  } else {
    for (int i = h.lo_index(), hi = h.hi_index(); i <= hi; ++i) {
      if (h.counts_[i] != 0) {
        Append(static_cast<uint64_t>(i), h.counts_[i]);
      }
    }
  }
  total_ += h.total_;
  min_ = std::min(min_, h.min_);
  max_ = std::max(max_, h.max_);
  sum_ += h.sum_;
  if (entries_.size() >= compact_at_) {
    Compact();
  }
}

void SparseHistogram::Compact() {
  // Sorting by the whole entry sorts by bucket; then each bucket's counts are added, split
  // again only where a sum exceeds kMaxCount.
  std::sort(entries_.begin(), entries_.end());
  size_t out = 0;
  for (size_t i = 0; i < entries_.size();) {
    const uint64_t index = entries_[i] >> kCountBits;
    uint64_t count = 0;
    for (; i < entries_.size() && entries_[i] >> kCountBits == index; ++i) {
      const uint64_t c = entries_[i] & kMaxCount;
      if (count + c > kMaxCount) {  // both ≤ kMaxCount: no overflow
        entries_[out++] = index << kCountBits | kMaxCount;
        count = count + c - kMaxCount;
      } else {
        count += c;
      }
    }
    entries_[out++] = index << kCountBits | count;
  }
  entries_.resize(out);
  // At most one entry per bucket is left (bar huge counts): compact again only once the
  // array has doubled, so that a histogram with many buckets is not sorted on every merge.
  compact_at_ = std::max<size_t>(Histogram::kCounts, 2 * out);
}

void SparseHistogram::Clear() {
  entries_.clear();
  compact_at_ = Histogram::kCounts;
  total_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

void HistogramTally::Clear() {
  if (!empty()) {
    const int lo = Histogram::IndexOf(min_), hi = Histogram::IndexOf(max_);
    std::memset(&counts_[lo], 0, sizeof(uint32_t) * (hi - lo + 1));
  }
  min_ = UINT64_MAX;
  max_ = 0;
  sum_lo_ = sum_hi_ = 0;
}

uint64_t Histogram::RankAt(double p, uint64_t n) {
  if (n == 0) {
    return 0;
  }
  if (!(p > 0)) {
    return 1;
  }
  if (p >= 100) {
    return n;
  }
  // Percent with 6 decimals as an integer so that 99.9 % of 1000 is exactly 999.
  const __uint128_t micro = static_cast<__uint128_t>(std::llround(p * 1e6));
  const __uint128_t scaled = micro * n;
  constexpr uint64_t kDen = 100000000;  // 100 % · 1e6
  uint64_t rank = static_cast<uint64_t>(scaled / kDen) + (scaled % kDen != 0 ? 1 : 0);
  return std::clamp<uint64_t>(rank, 1, n);
}

uint64_t Histogram::ValueAtPercentile(double p) const {
  if (total_ == 0) {
    return 0;
  }
  const uint64_t rank = RankAt(p, total_);
  if (rank >= total_) {
    return max_;
  }
  uint64_t seen = 0;
  for (int i = lo_index(), hi = hi_index(); i <= hi; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::clamp(HighestAt(i), min_, max_);
    }
  }
  return max_;
}

void Histogram::AppendEncoded(std::string* out) const {
  AppendVarint(out, total_);
  if (total_ == 0) {
    return;
  }
  AppendVarint(out, min_);
  AppendVarint(out, max_);
  AppendVarint(out, static_cast<uint64_t>(sum_));
  AppendVarint(out, static_cast<uint64_t>(sum_ >> 64));
  const int lo = lo_index(), hi = hi_index();
  AppendVarint(out, static_cast<uint64_t>(lo));
  AppendVarint(out, static_cast<uint64_t>(hi));
  int i = lo;
  while (i <= hi) {
    if (counts_[i] != 0) {
      AppendVarint(out, ZigZag(static_cast<int64_t>(counts_[i])));
      ++i;
      continue;
    }
    int run = 0;
    while (i <= hi && counts_[i] == 0) {
      ++run;
      ++i;
    }
    AppendVarint(out, ZigZag(-static_cast<int64_t>(run)));
  }
}

absl::Status Histogram::DecodeFrom(std::string_view* in) {
  Clear();
  auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("corrupt histogram: ", std::string(what)));
  };
  uint64_t total = 0;
  if (!ReadVarint(in, &total)) {
    return bad("truncated count");
  }
  if (total == 0) {
    return absl::OkStatus();
  }
  uint64_t mn, mx, sum_lo, sum_hi, lo, hi;
  if (!ReadVarint(in, &mn) || !ReadVarint(in, &mx) || !ReadVarint(in, &sum_lo) ||
      !ReadVarint(in, &sum_hi) || !ReadVarint(in, &lo) || !ReadVarint(in, &hi)) {
    return bad("truncated header");
  }
  if (lo > hi || hi >= static_cast<uint64_t>(kCounts) || mn > mx ||
      IndexOf(mn) != static_cast<int>(lo) || IndexOf(mx) != static_cast<int>(hi)) {
    return bad("bucket range does not match min/max");
  }
  // Counts are written in place; on any error the range is zeroed again so that the
  // histogram is left empty (Clear() relies on min/max, which are set only on success).
  auto fail = [&](std::string_view what) {
    std::memset(&counts_[lo], 0, sizeof(uint64_t) * (hi - lo + 1));
    sparse_n_ = 0;
    return bad(what);
  };
  // The loop is branch-free but for the varint's length and the (never taken, on valid input)
  // error exit: counts and zero runs alternate unpredictably in a sparse histogram, and a
  // mispredicted branch per bucket was most of the decode's time. A zero run's first bucket
  // gets a 0 stored (it holds 0 already) and sparse_'s slot kSparseMax takes the stores of
  // buckets past the list's capacity.
  const uint8_t* p = reinterpret_cast<const uint8_t*>(in->data());
  const uint8_t* const end = p + in->size();
  int n = 0;  // non-empty buckets; listed in sparse_ while they fit
  uint64_t seen = 0;
  uint64_t i = lo;
  while (i <= hi) {
    uint64_t zz;
    if (__builtin_expect(p != end && *p < 0x80, 1)) {
      zz = *p++;
    } else {
      std::string_view rest(reinterpret_cast<const char*>(p), static_cast<size_t>(end - p));
      uint64_t long_zz;  // zz's address must not escape: it would live in memory
      if (!ReadVarintSlow(&rest, &long_zz)) {
        return fail("truncated counts");
      }
      zz = long_zz;
      p = reinterpret_cast<const uint8_t*>(rest.data());
    }
    const int64_t v = UnZigZag(zz);
    // Masks, not conditionals: the compiler turned `run ? … : …` back into a branch.
    const uint64_t run_mask = static_cast<uint64_t>(v >> 63);  // all ones for a zero run
    const bool run = run_mask != 0;
    const uint64_t step = ((uint64_t{0} - static_cast<uint64_t>(v)) & run_mask) | (~run_mask & 1);
    const uint64_t c = static_cast<uint64_t>(v) & ~run_mask;
    // A run may neither start the range nor reach its last bucket (hi holds the max's count);
    // a count may be neither 0 nor overflow the total.
    const bool bad = (run & ((step > hi - i) | (i == lo))) | (v == 0) | (seen + c < seen);
    if (__builtin_expect(bad, 0)) {
      in->remove_prefix(reinterpret_cast<const char*>(p) - in->data());
      if (!run) {
        return fail("zero or overflowing count");
      }
      return fail(step > hi - i + 1 || i == lo ? "zero run out of range"
                                               : "zero run past the last bucket");
    }
    sparse_[n < kSparseMax ? n : kSparseMax] = static_cast<uint16_t>(i);
    counts_[i] = c;
    n += static_cast<int>(~run_mask & 1);
    seen += c;
    i += step;
  }
  in->remove_prefix(reinterpret_cast<const char*>(p) - in->data());
  if (seen != total) {
    return fail("counts do not add up to the total");
  }
  total_ = total;
  min_ = mn;
  max_ = mx;
  sum_ = (static_cast<__uint128_t>(sum_hi) << 64) | sum_lo;
  sparse_n_ = std::min(n, kSparseMax);
  sparse_total_ = n <= kSparseMax ? total : total - 1;  // total ≥ 1 here; total − 1: invalid
  return absl::OkStatus();
}

std::string Histogram::EncodeHdrCompressed() const {
  // V2 payload (HdrHistogram's encodeIntoByteBuffer): big-endian header, then the counts
  // from index 0 up to the bucket of the maximum as ZigZag LEB128 varints, a run of more
  // than one empty bucket written as the negated run length.
  std::string v2;
  PutBe32(&v2, kHdrV2Cookie);
  PutBe32(&v2, 0);  // payload length, patched below
  PutBe32(&v2, 0);  // normalizing index offset
  PutBe32(&v2, kSignificantDigits);
  PutBe64(&v2, 1);  // lowest discernible value
  PutBe64(&v2, static_cast<uint64_t>(kHighestTrackable));
  double ratio = 1.0;
  uint64_t ratio_bits;
  std::memcpy(&ratio_bits, &ratio, sizeof(ratio_bits));
  PutBe64(&v2, ratio_bits);
  const size_t payload_start = v2.size();
  const int limit = hi_index() + 1;
  int i = 0;
  while (i < limit) {
    const uint64_t c = counts_[i++];
    if (c != 0) {
      AppendVarint(&v2, ZigZag(static_cast<int64_t>(c)));
      continue;
    }
    int64_t zeros = 1;
    while (i < limit && counts_[i] == 0) {
      ++zeros;
      ++i;
    }
    AppendVarint(&v2, ZigZag(zeros > 1 ? -zeros : 0));
  }
  SetBe32(&v2, 4, static_cast<uint32_t>(v2.size() - payload_start));

  uLongf bound = compressBound(static_cast<uLong>(v2.size()));
  std::string out;
  PutBe32(&out, kHdrV2CompressedCookie);
  PutBe32(&out, 0);
  out.resize(8 + bound);
  const int rc = compress2(reinterpret_cast<Bytef*>(out.data() + 8), &bound,
                           reinterpret_cast<const Bytef*>(v2.data()), static_cast<uLong>(v2.size()),
                           Z_DEFAULT_COMPRESSION);
  if (rc != Z_OK) {
    return std::string();  // cannot happen with a compressBound-sized buffer
  }
  out.resize(8 + bound);
  SetBe32(&out, 4, static_cast<uint32_t>(bound));
  return out;
}

bool operator==(const Histogram& a, const Histogram& b) {
  if (a.total_ != b.total_) {
    return false;
  }
  if (a.total_ == 0) {
    return true;
  }
  if (a.min_ != b.min_ || a.max_ != b.max_ || a.sum_ != b.sum_) {
    return false;
  }
  const int lo = a.lo_index(), hi = a.hi_index();
  return std::memcmp(&a.counts_[lo], &b.counts_[lo], sizeof(uint64_t) * (hi - lo + 1)) == 0;
}

}  // namespace incarne
