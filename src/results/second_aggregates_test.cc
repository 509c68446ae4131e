// The worker side of the per-second stats: blocks hold exactly what the records imply, are
// handed over after their second, and never lose a hit, even with a stalled collector.
#include "results/second_aggregates.h"

#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "results/results_testing.h"

namespace incarne {
namespace {

using testing::ExpectStatsEq;
using testing::MakeRecords;

constexpr int64_t kS = SecondAggregates::kNsPerS;

// Merges every block handed over into per-second, per-tag Stats (what the collector does).
struct Sink {
  std::map<int64_t, std::vector<Stats>> seconds;
  uint64_t hits = 0, misfiled = 0, blocks = 0;
  void Drain(SecondAggregates* a, size_t ntags, bool recycle = true) {
    while (SecondBlock* b = a->Pop()) {
      auto& v = seconds[b->second];
      v.resize(ntags);
      uint64_t sum = 0;
      for (uint16_t t : b->used) {
        v[t].Merge(*b->tags[t]);
        sum += b->tags[t]->hits();
      }
      EXPECT_EQ(sum, b->hits);
      hits += b->hits;
      misfiled += b->misfiled;
      ++blocks;
      if (recycle) {
        a->Recycle(b);
      }
    }
  }
};

TEST(SecondAggregates, BlocksHoldExactlyWhatTheRecordsImply) {
  const uint16_t ntags = 3;
  // 40 000 records 0.25 ms apart: ~10 s of completions over 3 tags, with errors and 777s.
  const std::vector<HitRecord> recs = MakeRecords(0, 40000, ntags, 250000);
  SecondAggregates a(ntags);
  Sink sink;
  for (size_t i = 0; i < recs.size(); ++i) {
    a.Add(recs[i]);
    if (i % 100 == 0) {
      a.Tick(static_cast<int64_t>(recs[i].done));
      sink.Drain(&a, ntags);
    }
  }
  a.FlushAll();
  sink.Drain(&a, ntags);
  auto want = testing::Expect({recs}, ntags);
  EXPECT_EQ(sink.hits, recs.size());
  EXPECT_EQ(sink.misfiled, 0u);
  ASSERT_EQ(sink.seconds.size(), want->seconds.size());
  for (const auto& [sec, tags] : want->seconds) {
    ASSERT_EQ(sink.seconds.count(sec), 1u) << sec;
    for (size_t t = 0; t < ntags; ++t) {
      ExpectStatsEq(sink.seconds[sec][t], tags[t], absl::StrCat("second ", sec, " tag ", t));
    }
  }
}

TEST(SecondAggregates, SecondHandedOverOnlyAfterItsGrace) {
  SecondAggregates a(1);
  EXPECT_EQ(a.next_deadline(), INT64_MAX);
  HitRecord r{};
  r.start = r.planned = 300'000'000;
  r.done = 400'000'000;
  a.Add(r);
  const int64_t due = kS + SecondAggregates::kHandoffGraceNs;
  EXPECT_EQ(a.next_deadline(), due);
  a.Tick(due - 1);
  EXPECT_EQ(a.Pop(), nullptr);
  // A late completion of second 0 (an earlier kernel stamp) still finds it open.
  a.Add(r);
  a.Tick(due);
  SecondBlock* b = a.Pop();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->second, 0);
  EXPECT_EQ(b->hits, 2u);
  EXPECT_EQ(a.Pop(), nullptr);
  EXPECT_EQ(a.next_deadline(), INT64_MAX);
  a.Recycle(b);
  // Records of out-of-order seconds each go to their own block.
  for (int64_t s : {5, 3, 5, 4}) {
    r.done = static_cast<uint64_t>(s * kS + 1);
    a.Add(r);
  }
  a.FlushAll();
  std::map<int64_t, uint64_t> got;
  while (SecondBlock* x = a.Pop()) {
    got[x->second] += x->hits;
    a.Recycle(x);
  }
  EXPECT_EQ(got, (std::map<int64_t, uint64_t>{{3, 1}, {4, 1}, {5, 2}}));
}

// The collector returns nothing (stalled): after kBlocks seconds the worker has no block for a
// new second — the hits go to its newest block, counted as misfiled, and none is lost.
TEST(SecondAggregates, StalledCollectorNeverCostsAHit) {
  const std::vector<HitRecord> recs = MakeRecords(0, 60000, 2, 500000);  // ~30 s
  SecondAggregates a(2);
  Sink sink;
  for (size_t i = 0; i < recs.size(); ++i) {
    a.Add(recs[i]);
    a.Tick(static_cast<int64_t>(recs[i].done));
  }
  a.FlushAll();
  sink.Drain(&a, 2, /*recycle=*/false);
  EXPECT_EQ(sink.hits, recs.size());
  EXPECT_GT(sink.misfiled, 0u);
  EXPECT_LE(sink.blocks, static_cast<uint64_t>(SecondAggregates::kBlocks));
}

// Producer and consumer on two threads (TSan/ASan see the handoff), many seconds.
TEST(SecondAggregates, TwoThreadsHandOffEveryHit) {
  const std::vector<HitRecord> recs = MakeRecords(0, 200000, 4, 100000);  // ~20 s
  SecondAggregates a(4);
  std::atomic<bool> done{false};
  Sink sink;
  std::thread consumer([&] {
    while (!done.load(std::memory_order_acquire)) {
      sink.Drain(&a, 4);
      std::this_thread::yield();
    }
    sink.Drain(&a, 4);
  });
  for (const HitRecord& r : recs) {
    a.Add(r);
    a.Tick(static_cast<int64_t>(r.done));
  }
  a.FlushAll();
  done.store(true, std::memory_order_release);
  consumer.join();
  EXPECT_EQ(sink.hits, recs.size());
  Stats all;
  for (auto& [sec, tags] : sink.seconds) {
    for (const Stats& t : tags) {
      all.Merge(t);
    }
  }
  ExpectStatsEq(all, testing::Expect({recs}, 4)->overall, "overall");
}

// Records of every shape a Stats sees: ordered ones (the tally's fast path) and the odd ones
// — dropped shots, phases never reached (0), a phase after done, done before start, a start
// before its planned time, values past the histograms' range — over several codes.
std::vector<HitRecord> OddRecords(uint64_t n) {
  std::vector<HitRecord> v;
  uint64_t x = 88172645463325252ull;  // xorshift64: deterministic
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (uint64_t i = 0; i < n; ++i) {
    HitRecord r{};
    r.planned = 5'000'000'000 + i * 1000;
    r.start = r.planned + next() % 100000;
    r.connected = r.start + next() % 50000;
    r.sent = r.connected + next() % 2000;
    r.first_byte = r.sent + next() % 3'000'000;
    r.done = r.first_byte + next() % 100000;
    r.size_out = static_cast<uint32_t>(next() % 5000);
    r.size_in = static_cast<uint32_t>(next());
    const uint16_t protos[] = {200, 200, 200, 404, 503, 0, 65535};
    const uint16_t nets[] = {0, 0, 0, 0, 0, 110, 104, 65535};
    r.proto_code = protos[next() % 7];
    r.net_code = nets[next() % 8];
    switch (next() % 16) {
      case 0:
        r.net_code = Stats::kDroppedNetCode;
        r.connected = r.sent = r.first_byte = 0;
        break;
      case 1:
        r.connected = r.sent = r.first_byte = 0;  // connect timeout
        break;
      case 2:
        r.first_byte = r.done + 5;  // a phase stamp after done
        break;
      case 3:
        r.done = r.start - 1;  // done before start
        break;
      case 4:
        r.start = r.planned - 7;  // started before its planned time
        break;
      case 5:
        r.done = r.planned + Histogram::kMaxValue + next() % 1000;  // past the range
        break;
      case 6:
        r.planned = r.start = r.connected = r.sent = r.first_byte = r.done = 0;
        break;
      case 7:
        r.done = UINT64_MAX - next() % 3;
        break;
      default:
        break;
    }
    v.push_back(r);
  }
  return v;
}

// The worker's tally, merged, is exactly the Stats that Stats::Add builds from the same hits:
// every counter, code count, phase sum, and each histogram's buckets, min, max and sum.
TEST(StatsTally, MergesToWhatAddBuilds) {
  const std::vector<HitRecord> recs = OddRecords(20000);
  Stats want;
  for (const HitRecord& r : recs) {
    want.Add(r);
  }
  // One tally, and the same hits split over two (then merged one after the other).
  StatsTally one;
  StatsTally a, b;
  for (size_t i = 0; i < recs.size(); ++i) {
    one.Add(recs[i]);
    (i % 3 == 0 ? a : b).Add(recs[i]);
  }
  EXPECT_EQ(one.hits(), recs.size());
  Stats got;
  got.Merge(one);
  ExpectStatsEq(got, want, "one tally");
  EXPECT_EQ(got.latency.sum(), want.latency.sum());
  EXPECT_EQ(got.service.sum(), want.service.sum());
  EXPECT_EQ(got.lag.sum(), want.lag.sum());
  Stats split;
  split.Merge(a);
  split.Merge(b);
  ExpectStatsEq(split, want, "two tallies");
  // A cleared tally (a recycled block) starts from nothing.
  one.Clear();
  EXPECT_TRUE(one.empty());
  for (size_t i = 0; i < 100; ++i) {
    one.Add(recs[i]);
  }
  Stats again, want100;
  again.Merge(one);
  for (size_t i = 0; i < 100; ++i) {
    want100.Add(recs[i]);
  }
  ExpectStatsEq(again, want100, "after Clear");
}

// The fast path alone (ordered records, one code): the derived latency sum and receive time.
TEST(StatsTally, OrderedRecordsDeriveLatencyAndReceive) {
  std::vector<HitRecord> recs = MakeRecords(0, 5000, 1, 300000);
  Stats want;
  StatsTally t;
  for (HitRecord& r : recs) {
    if (r.net_code != 0) {
      continue;
    }
    want.Add(r);
    t.Add(r);
  }
  Stats got;
  got.Merge(t);
  ExpectStatsEq(got, want, "ordered");
  EXPECT_GT(got.receive_ns, 0u);
  EXPECT_GT(got.lag.count(), 0u);
}

TEST(RawFilter, KeepsWhatResultsHitsAsks) {
  HitRecord ok{};
  ok.proto_code = 200;
  HitRecord err{};
  err.proto_code = 503;
  HitsKeep all;
  RawFilter f_all(all, false);
  EXPECT_TRUE(f_all.Want(ok));
  HitsKeep errors;
  errors.mode = HitsKeep::Mode::kErrors;
  RawFilter f_err(errors, false);
  EXPECT_FALSE(f_err.Want(ok));
  EXPECT_TRUE(f_err.Want(err));
  RawFilter f_err_phout(errors, /*all=*/true);  // phout.log needs every record
  EXPECT_TRUE(f_err_phout.Want(ok));
  HitsKeep sample;
  sample.mode = HitsKeep::Mode::kSample;
  sample.every = 3;
  RawFilter f_s(sample, false);
  std::vector<bool> got;
  for (int i = 0; i < 7; ++i) {
    got.push_back(f_s.Want(ok));
    EXPECT_TRUE(f_s.Want(err));  // errors do not advance the count
  }
  EXPECT_EQ(got, (std::vector<bool>{true, false, false, true, false, false, true}));
}

}  // namespace
}  // namespace incarne
