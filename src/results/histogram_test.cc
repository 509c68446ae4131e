#include "results/histogram.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "results/results_testing.h"

namespace incarne {
namespace {

TEST(Histogram, LayoutIsHdrHistogramsForTwoDigitsInNs) {
  // Hand-computed HdrHistogram counts_index values (unit magnitude 0, 256 sub-buckets).
  EXPECT_EQ(Histogram::IndexOf(0), 0);
  EXPECT_EQ(Histogram::IndexOf(255), 255);
  EXPECT_EQ(Histogram::IndexOf(256), 256);
  EXPECT_EQ(Histogram::IndexOf(257), 256);
  EXPECT_EQ(Histogram::IndexOf(258), 257);
  EXPECT_EQ(Histogram::IndexOf(511), 383);
  EXPECT_EQ(Histogram::IndexOf(512), 384);
  EXPECT_EQ(Histogram::IndexOf(Histogram::kMaxValue), Histogram::kCounts - 1);
  EXPECT_EQ(Histogram::IndexOf(UINT64_MAX), Histogram::kCounts - 1);
  EXPECT_EQ(Histogram::kCounts, 4608);
  for (int i = 0; i < Histogram::kCounts; ++i) {
    ASSERT_EQ(Histogram::IndexOf(Histogram::LowestAt(i)), i) << i;
    ASSERT_EQ(Histogram::IndexOf(Histogram::HighestAt(i)), i) << i;
    if (i + 1 < Histogram::kCounts) {
      ASSERT_EQ(Histogram::HighestAt(i) + 1, Histogram::LowestAt(i + 1)) << i;
    }
  }
  EXPECT_EQ(Histogram::HighestAt(Histogram::kCounts - 1), Histogram::kMaxValue);
  EXPECT_GE(Histogram::kMaxValue, static_cast<uint64_t>(Histogram::kHighestTrackable));
}

TEST(Histogram, BucketWidthIsUnderOnePercentFromOneMicrosecondToOneHour) {
  for (int i = Histogram::IndexOf(1000); i <= Histogram::IndexOf(3600ull * 1000000000); ++i) {
    const double lo = static_cast<double>(Histogram::LowestAt(i));
    const double hi = static_cast<double>(Histogram::HighestAt(i));
    ASSERT_LE((hi - lo) / lo, 0.01) << i;
  }
}

// The exact value of rank RankAt(p, n) in sorted data: what ValueAtPercentile approximates.
uint64_t Exact(const std::vector<uint64_t>& sorted, double p) {
  return sorted[Histogram::RankAt(p, sorted.size()) - 1];
}

void CheckPercentiles(std::vector<uint64_t> values, const char* what) {
  Histogram h;
  for (uint64_t v : values) {
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  ASSERT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), values.front()) << what;
  EXPECT_EQ(h.max(), values.back()) << what;
  for (double p :
       {0.0, 0.001, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 99.999, 100.0}) {
    const uint64_t exact = Exact(values, p);
    const uint64_t got = h.ValueAtPercentile(p);
    // Never below the exact value, at most one bucket above it (≤ 1/128 relative).
    ASSERT_GE(got, exact) << what << " p" << p;
    ASSERT_LE(static_cast<double>(got - exact), static_cast<double>(exact) / 128.0)
        << what << " p" << p << " exact " << exact << " got " << got;
    if (exact >= 1000) {
      ASSERT_LE(std::fabs(static_cast<double>(got) - exact) / exact, 0.01) << what << " p" << p;
    }
  }
}

TEST(Histogram, PercentilesMatchExactOnRandomAndAdversarialData) {
  std::mt19937_64 rng(42);
  {
    // Log-uniform over 1 µs .. 1 h.
    std::vector<uint64_t> v;
    std::uniform_real_distribution<double> d(std::log(1e3), std::log(3.6e12));
    for (int i = 0; i < 200000; ++i) {
      v.push_back(static_cast<uint64_t>(std::exp(d(rng))));
    }
    CheckPercentiles(v, "log-uniform");
  }
  {
    // Bimodal: 99 % fast (~200 µs), 1 % slow (~2 s timeouts).
    std::vector<uint64_t> v;
    std::normal_distribution<double> fast(200e3, 20e3), slow(2e9, 1e8);
    std::bernoulli_distribution which(0.01);
    for (int i = 0; i < 100000; ++i) {
      v.push_back(static_cast<uint64_t>(std::max(1.0, which(rng) ? slow(rng) : fast(rng))));
    }
    CheckPercentiles(v, "bimodal");
  }
  {
    // Heavy tail: Pareto (alpha 1.1) from 50 µs.
    std::vector<uint64_t> v;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int i = 0; i < 100000; ++i) {
      const double x = 50e3 / std::pow(1.0 - u(rng), 1.0 / 1.1);
      v.push_back(static_cast<uint64_t>(std::min(x, 3.6e12)));
    }
    CheckPercentiles(v, "pareto");
  }
  {
    // Adversarial: every value exactly on a bucket edge (lowest and highest of each bucket).
    std::vector<uint64_t> v;
    for (int i = 0; i < Histogram::kCounts; i += 7) {
      v.push_back(Histogram::LowestAt(i));
      v.push_back(Histogram::HighestAt(i));
    }
    CheckPercentiles(v, "bucket edges");
  }
  {
    std::vector<uint64_t> v(1000, 123456789);
    CheckPercentiles(v, "constant");
    CheckPercentiles({7}, "single");
    CheckPercentiles({0, 0, 1, 255, 256, 257}, "tiny");
  }
}

TEST(Histogram, OverflowIsClampedButMaxIsExact) {
  Histogram h;
  h.Record(uint64_t{1} << 50);
  h.Record(1000);
  EXPECT_EQ(h.max(), uint64_t{1} << 50);
  EXPECT_EQ(h.ValueAtPercentile(100), uint64_t{1} << 50);
  EXPECT_EQ(h.hi_index(), Histogram::kCounts - 1);
}

TEST(Histogram, EmptyHistogram) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.ValueAtPercentile(50), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(Histogram, MergeEqualsHistogramOfUnion) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(12.0, 2.0);
  Histogram a, b, all;
  for (int i = 0; i < 50000; ++i) {
    const uint64_t v = static_cast<uint64_t>(d(rng));
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  Histogram m;
  m.Merge(a);
  m.Merge(b);
  EXPECT_TRUE(m == all);
  for (double p : {50.0, 99.0, 99.9}) {
    EXPECT_EQ(m.ValueAtPercentile(p), all.ValueAtPercentile(p));
  }
  // Order does not matter, and merging an empty one changes nothing.
  Histogram m2, empty;
  m2.Merge(b);
  m2.Merge(empty);
  m2.Merge(a);
  EXPECT_TRUE(m2 == all);
  // Clear really empties it (sparse clear).
  m2.Clear();
  EXPECT_TRUE(m2 == empty);
  m2.Record(5);
  Histogram five;
  five.Record(5);
  EXPECT_TRUE(m2 == five);
}

TEST(Histogram, EncodedRoundTripAndRejectsCorruption) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> d(10.0, 3.0);
  Histogram h;
  for (int i = 0; i < 10000; ++i) {
    h.Record(static_cast<uint64_t>(d(rng)));
  }
  std::string enc;
  h.AppendEncoded(&enc);
  Histogram back;
  std::string_view in = enc;
  ASSERT_TRUE(back.DecodeFrom(&in).ok());
  EXPECT_TRUE(in.empty());
  EXPECT_TRUE(back == h);
  // Every truncation is an error, never a crash.
  for (size_t n = 0; n < enc.size(); ++n) {
    std::string_view cut(enc.data(), n);
    Histogram x;
    EXPECT_FALSE(x.DecodeFrom(&cut).ok()) << n;
    // A failed decode leaves it empty, with no stray counts.
    EXPECT_EQ(x.count(), 0u);
    for (int i = 0; i < Histogram::kCounts; ++i) {
      ASSERT_EQ(x.count_at(i), 0u) << n << " " << i;
    }
  }
  // Empty histogram.
  std::string e;
  Histogram().AppendEncoded(&e);
  std::string_view ein = e;
  ASSERT_TRUE(back.DecodeFrom(&ein).ok());
  EXPECT_EQ(back.count(), 0u);
}

// A decoded histogram with few non-empty buckets merges and clears through its list of them;
// every mix of decode, Record, Merge and Clear must still equal the plain arithmetic.
TEST(Histogram, DecodedSparseHistogramsMergeAndClearExactly) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> d(14.0, 1.5);
  for (int buckets : {1, 20, 63, 64, 65, 400}) {
    Histogram src;
    for (int i = 0; i < buckets; ++i) {
      src.Record(Histogram::LowestAt(300 + 7 * i), 1 + i % 3);
    }
    std::string enc;
    src.AppendEncoded(&enc);
    Histogram dec;
    dec.Record(static_cast<uint64_t>(d(rng)));  // stale content that the decode clears
    std::string_view in = enc;
    ASSERT_TRUE(dec.DecodeFrom(&in).ok()) << buckets;
    ASSERT_TRUE(dec == src) << buckets;
    Histogram into, want;
    for (int i = 0; i < 1000; ++i) {
      const uint64_t v = static_cast<uint64_t>(d(rng));
      into.Record(v);
      want.Record(v);
    }
    into.Merge(dec);
    want.Merge(src);
    EXPECT_TRUE(into == want) << buckets;
    // Record after the decode: the list no longer covers every bucket.
    dec.Record(Histogram::LowestAt(4000));
    src.Record(Histogram::LowestAt(4000));
    Histogram m1, m2;
    m1.Merge(dec);
    m2.Merge(src);
    EXPECT_TRUE(m1 == m2) << buckets;
    // Clear leaves no stray count, decoded or not.
    dec.Clear();
    for (int i = 0; i < Histogram::kCounts; ++i) {
      ASSERT_EQ(dec.count_at(i), 0u) << buckets << " " << i;
    }
    // Decoded then cleared then decoded again, then merged twice (self-consistent totals).
    in = enc;
    ASSERT_TRUE(dec.DecodeFrom(&in).ok());
    Histogram twice;
    twice.Merge(dec);
    twice.Merge(dec);
    EXPECT_EQ(twice.count(), 2 * dec.count()) << buckets;
    dec.Merge(dec);
    EXPECT_TRUE(dec == twice) << buckets;
    dec.Clear();
    for (int i = 0; i < Histogram::kCounts; ++i) {
      ASSERT_EQ(dec.count_at(i), 0u) << buckets << " " << i;
    }
  }
}

// What `plot` keeps per tag and bin: the expansion of a SparseHistogram equals the dense merge
// of everything merged into it — decoded histograms with a bucket list (≤ 64 buckets) or
// without, enough of them to be compacted several times, and counts too big for one entry.
TEST(Histogram, SparseHistogramExpandsToTheExactMerge) {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> d(15.0, 1.0);
  SparseHistogram sparse;
  Histogram want;
  size_t max_entries = 0;
  for (int round = 0; round < 3; ++round) {
    sparse.Clear();
    want.Clear();
    for (int k = 0; k < 400; ++k) {
      Histogram src;
      const int n = k % 7 == 0 ? 300 : 30;  // 300 values span more than 64 buckets
      for (int i = 0; i < n; ++i) {
        src.Record(static_cast<uint64_t>(d(rng)));
      }
      std::string enc;
      src.AppendEncoded(&enc);
      Histogram dec;
      std::string_view in = enc;
      ASSERT_TRUE(dec.DecodeFrom(&in).ok());
      sparse.Merge(dec);
      want.Merge(src);
      max_entries = std::max(max_entries, sparse.entries());
    }
    EXPECT_EQ(sparse.count(), want.count());
    Histogram got;
    got.Merge(sparse);
    EXPECT_TRUE(got == want) << round;
    // Compacted: far fewer entries than the ~17,000 non-empty buckets merged.
    EXPECT_LE(max_entries, size_t{2} * Histogram::kCounts + 300) << round;
  }
  // Counts above an entry's 48 bits take several entries, also once compacted (4 entries a
  // merge: 1300 merges compact once).
  sparse.Clear();
  want.Clear();
  Histogram big;
  big.Record(5000, uint64_t{3} << 47);
  big.Record(7000000, (uint64_t{1} << 48) + 12345);
  for (int k = 0; k < 1300; ++k) {
    sparse.Merge(big);
    want.Merge(big);
  }
  EXPECT_LT(sparse.entries(), size_t{1300} * 4);
  Histogram got;
  got.Merge(sparse);
  EXPECT_TRUE(got == want);
  EXPECT_EQ(got.count_at(Histogram::IndexOf(5000)), 3900 * (uint64_t{1} << 47));
  Histogram empty;
  sparse.Clear();
  sparse.Merge(empty);
  got.Clear();
  got.Merge(sparse);
  EXPECT_EQ(got.count(), 0u);
  EXPECT_EQ(sparse.entries(), 0u);
}

// Every varint length, read with and without 8 readable bytes (the two paths of
// ReadVarintSlow), and the malformed ones.
TEST(Histogram, VarintsOfEveryLengthRoundTrip) {
  for (int bits = 0; bits <= 64; ++bits) {
    for (uint64_t v : {bits == 0 ? uint64_t{0} : uint64_t{1} << (bits - 1),
                       bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1}) {
      std::string enc;
      AppendVarint(&enc, v);
      for (const std::string& tail : {std::string(), std::string(12, '\x7f')}) {
        const std::string buf = enc + tail;
        std::string_view in = buf;
        uint64_t got = 0;
        ASSERT_TRUE(ReadVarint(&in, &got)) << v;
        EXPECT_EQ(got, v);
        EXPECT_EQ(in.size(), tail.size()) << v;
        for (size_t cut = 0; cut < enc.size(); ++cut) {
          std::string_view part(enc.data(), cut);
          EXPECT_FALSE(ReadVarint(&part, &got)) << v << " " << cut;
        }
      }
    }
  }
  // A non-minimal encoding still reads (the format never writes one); an 11th byte, or a 10th
  // above 1, does not fit 64 bits.
  std::string_view two("\x80\x00", 2);
  uint64_t v = 1;
  ASSERT_TRUE(ReadVarint(&two, &v));
  EXPECT_EQ(v, 0u);
  std::string_view ten("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
  EXPECT_FALSE(ReadVarint(&ten, &v));
  std::string_view eleven("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00", 11);
  EXPECT_FALSE(ReadVarint(&eleven, &v));
}

// The branch-free count loop of DecodeFrom still names what is wrong with a bad count stream.
TEST(Histogram, DecodeNamesTheCorruptCount) {
  Histogram src;
  src.Record(300);
  src.Record(1000);
  std::string head;
  AppendVarint(&head, 2);  // count, min, max, sum (lo, hi), lo and hi bucket
  AppendVarint(&head, 300);
  AppendVarint(&head, 1000);
  AppendVarint(&head, 1300);
  AppendVarint(&head, 0);
  AppendVarint(&head, static_cast<uint64_t>(Histogram::IndexOf(300)));
  AppendVarint(&head, static_cast<uint64_t>(Histogram::IndexOf(1000)));
  const int64_t gap = Histogram::IndexOf(1000) - Histogram::IndexOf(300) - 1;
  auto decode = [&](std::vector<int64_t> counts) {
    std::string enc = head;
    for (int64_t c : counts) {
      AppendVarint(&enc, ZigZag(c));
    }
    std::string_view in = enc;
    Histogram h;
    h.Record(123456);  // stale content that a failed decode must not leave behind
    const absl::Status st = h.DecodeFrom(&in);
    for (int i = 0; i < Histogram::kCounts && !st.ok(); ++i) {
      EXPECT_EQ(h.count_at(i), 0u) << i;
    }
    return std::string(st.message());
  };
  std::string good;
  src.AppendEncoded(&good);
  std::string_view in = good;
  Histogram h;
  ASSERT_TRUE(h.DecodeFrom(&in).ok());
  EXPECT_TRUE(h == src);
  EXPECT_EQ(decode({1, -gap, 1}), "");
  EXPECT_EQ(decode({-1, 1, -gap, 1}), "corrupt histogram: zero run out of range");
  EXPECT_EQ(decode({1, -(gap + 2), 1}), "corrupt histogram: zero run out of range");
  EXPECT_EQ(decode({1, -(gap + 1), 1}), "corrupt histogram: zero run past the last bucket");
  EXPECT_EQ(decode({1, 0, -gap, 1}), "corrupt histogram: zero or overflowing count");
  EXPECT_EQ(decode({1, -gap, 2}), "corrupt histogram: counts do not add up to the total");
  EXPECT_EQ(decode({1, -gap}), "corrupt histogram: truncated counts");
}

TEST(Histogram, HdrCompressedV2Encoding) {
  using testing::DecodeHdr;
  using testing::HdrDecoded;
  Histogram h;
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> dist(13.0, 1.5);
  for (int i = 0; i < 20000; ++i) {
    h.Record(static_cast<uint64_t>(dist(rng)));
  }
  const std::string enc = h.EncodeHdrCompressed();
  ASSERT_GT(enc.size(), 8u);
  const HdrDecoded d = DecodeHdr(enc);
  EXPECT_EQ(d.cookie, 0x1c849314u);
  EXPECT_EQ(d.inner_cookie, 0x1c849313u);
  EXPECT_EQ(d.offset, 0);
  EXPECT_EQ(d.digits, 2);
  EXPECT_EQ(d.lowest, 1);
  EXPECT_EQ(d.highest, 3600000000000);
  EXPECT_EQ(d.ratio, 1.0);
  ASSERT_EQ(d.counts.size(), static_cast<size_t>(h.hi_index() + 1));
  for (size_t i = 0; i < d.counts.size(); ++i) {
    ASSERT_EQ(static_cast<uint64_t>(d.counts[i]), h.count_at(static_cast<int>(i))) << i;
  }
  // Starts with "HISTF" in base64 (the cookie's first bytes), as every .hlog line does.
  EXPECT_EQ(static_cast<unsigned char>(enc[0]), 0x1c);
  EXPECT_EQ(static_cast<unsigned char>(enc[1]), 0x84);
  // An empty histogram encodes to a header and no counts.
  const HdrDecoded e = DecodeHdr(Histogram().EncodeHdrCompressed());
  EXPECT_TRUE(e.counts.empty());
}

}  // namespace
}  // namespace incarne
