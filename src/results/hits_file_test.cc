// The run files' readers: wrong magic, short header, newer version, truncated records and
// blocks give the right error or warning.
#include "results/hits_file.h"

#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "results/aggregates_file.h"
#include "results/collector.h"
#include "results/results_testing.h"

namespace incarne {
namespace {

RunMeta Meta() {
  RunMeta m;
  m.origin_realtime_ns = 1700000000000000000;
  m.shard = 1;
  m.shards = 3;
  m.workers = 4;
  m.keep.mode = HitsKeep::Mode::kSample;
  m.keep.every = 7;
  m.tags = {"", "a", "longer tag"};
  return m;
}

// Bytes in 8-byte aligned storage, as an mmap gives them.
struct Aligned {
  explicit Aligned(const std::string& s) : words((s.size() + 7) / 8), size(s.size()) {
    if (!s.empty()) {
      std::memcpy(words.data(), s.data(), s.size());
    }
  }
  std::string_view view() const { return {reinterpret_cast<const char*>(words.data()), size}; }
  std::vector<uint64_t> words;
  size_t size;
};

std::string HitsBytes(size_t records, size_t extra_bytes = 0) {
  std::string s = EncodeRunHeader(kHitsMagic, Meta());
  for (size_t i = 0; i < records; ++i) {
    HitRecord r = testing::MakeRecord(0, i, 3);
    s.append(reinterpret_cast<const char*>(&r), sizeof(r));
  }
  s.append(extra_bytes, 'x');
  return s;
}

TEST(HitsFile, HeaderRoundTrip) {
  const std::string s = HitsBytes(10);
  EXPECT_EQ(EncodeRunHeader(kHitsMagic, Meta()).size(), 4096u);
  Aligned a(s);
  auto v = HitsView::FromBytes(a.view(), "x");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->meta().origin_realtime_ns, Meta().origin_realtime_ns);
  EXPECT_EQ(v->meta().shard, 1u);
  EXPECT_EQ(v->meta().shards, 3u);
  EXPECT_EQ(v->meta().workers, 4u);
  EXPECT_EQ(v->meta().keep.mode, HitsKeep::Mode::kSample);
  EXPECT_EQ(v->meta().keep.every, 7u);
  EXPECT_EQ(v->meta().tags, Meta().tags);
  ASSERT_EQ(v->records().size(), 10u);
  const HitRecord r5 = testing::MakeRecord(0, 5, 3);
  EXPECT_EQ(std::memcmp(&v->records()[5], &r5, 64), 0);
  EXPECT_TRUE(v->warning().empty());
}

TEST(HitsFile, LargeTagTableGrowsTheHeaderByPages) {
  RunMeta m = Meta();
  for (int i = 0; i < 1000; ++i) {
    m.tags.push_back(absl::StrCat("tag number ", i));
  }
  const std::string h = EncodeRunHeader(kHitsMagic, m);
  EXPECT_EQ(h.size() % 4096, 0u);
  EXPECT_GT(h.size(), 4096u);
  Aligned a(h);
  auto v = HitsView::FromBytes(a.view(), "x");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->meta().tags, m.tags);
}

TEST(HitsFile, RejectsWrongMagic) {
  std::string s = HitsBytes(1);
  s[3] = 'X';
  Aligned a(s);
  auto v = HitsView::FromBytes(a.view(), "run/hits");
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(v.status()));
  EXPECT_NE(v.status().message().find("run/hits: not an incarne INCHITS1 file"),
            absl::string_view::npos)
      << v.status();
  // An aggregates file is not a hits file either.
  Aligned b(EncodeRunHeader(kAggrMagic, Meta()));
  EXPECT_FALSE(HitsView::FromBytes(b.view(), "x").ok());
}

TEST(HitsFile, RejectsShortHeader) {
  const std::string s = HitsBytes(0);
  for (size_t n : {size_t{0}, size_t{5}, size_t{8}, size_t{63}, size_t{64}, size_t{4095}}) {
    Aligned a(s.substr(0, n));
    auto v = HitsView::FromBytes(a.view(), "h");
    ASSERT_FALSE(v.ok()) << n;
    EXPECT_TRUE(absl::IsInvalidArgument(v.status()));
    EXPECT_NE(v.status().message().find("truncated header"), absl::string_view::npos)
        << n << ": " << v.status();
  }
}

TEST(HitsFile, RejectsNewerVersion) {
  std::string s = HitsBytes(1);
  const uint32_t v3 = kRunFileVersion + 1;
  std::memcpy(&s[8], &v3, 4);
  Aligned a(s);
  auto v = HitsView::FromBytes(a.view(), "h");
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(v.status()));
  EXPECT_NE(v.status().message().find("format version 3 was written by a newer incarne"),
            absl::string_view::npos)
      << v.status();
}

TEST(HitsFile, RunIdRoundTripsAndVersion1ReadsAsNone) {
  RunMeta meta;
  meta.tags = {""};
  meta.run_id = NewRunId();
  ASSERT_NE(meta.run_id, 0u);
  EXPECT_NE(NewRunId(), meta.run_id);
  std::string h = EncodeRunHeader(kHitsMagic, meta);
  size_t hsize = 0;
  auto back = DecodeRunHeader(h, kHitsMagic, "h", &hsize);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->run_id, meta.run_id);
  EXPECT_EQ(RunIdText(0x1234), "0000000000001234");
  // A version-1 file (written before run ids): bytes 56..63 were reserved; read as no id.
  const uint32_t v1 = 1;
  std::memcpy(&h[8], &v1, 4);
  back = DecodeRunHeader(h, kHitsMagic, "h", &hsize);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->run_id, 0u);
}

TEST(HitsFile, CheckRecordsNamesTheFirstBadOffset) {
  RunMeta meta;
  meta.workers = 2;
  meta.tags = {"", "a"};
  const RecordLimits lim = RecordLimits::For(meta, 10ull * 1000000000);
  std::vector<HitRecord> recs(4);
  for (HitRecord& r : recs) {
    r = HitRecord{};
    r.done = r.start = r.planned = 1000;
    r.worker = 1;
    r.tag = 1;
    r.proto_code = 200;
  }
  uint64_t bad = 0;
  EXPECT_TRUE(CheckRecords(recs, lim, "run/hits", 4096, false, &bad).ok());
  recs[2].worker = 138;
  recs[3].done = 2174ull * 365 * 86400 * 1000000000;
  absl::Status st = CheckRecords(recs, lim, "run/hits", 4096, false, &bad);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_NE(st.message().find("run/hits: bad record at byte offset 4224: worker 138, expected < 2"),
            absl::string_view::npos)
      << st;
  EXPECT_EQ(bad, 2u);
  EXPECT_TRUE(CheckRecords(recs, lim, "run/hits", 4096, true, &bad).ok());
  EXPECT_EQ(bad, 2u);
  recs[2].worker = 1;
  recs[3] = recs[0];
  for (auto [field, value] : {std::pair<int, uint64_t>{0, 2}, {1, 5000}, {2, 1000}}) {
    HitRecord r = recs[0];
    if (field == 0) {
      r.tag = static_cast<uint16_t>(value);
    } else if (field == 1) {
      r.net_code = static_cast<uint16_t>(value);
    } else {
      r.proto_code = static_cast<uint16_t>(value);
    }
    EXPECT_FALSE(lim.Ok(r)) << field;
    EXPECT_FALSE(lim.Problem(r).empty()) << field;
  }
}

TEST(HitsFile, RejectsBadFields) {
  auto corrupt = [](size_t at, uint32_t value) {
    std::string s = HitsBytes(1);
    std::memcpy(&s[at], &value, 4);
    Aligned a(s);
    return HitsView::FromBytes(a.view(), "h").status();
  };
  EXPECT_NE(corrupt(16, 32).message().find("record size 32"), absl::string_view::npos);
  EXPECT_NE(corrupt(12, 100).message().find("header size 100"), absl::string_view::npos);
  EXPECT_NE(corrupt(12, 8192).message().find("truncated header"), absl::string_view::npos);
  EXPECT_NE(corrupt(32, 5).message().find("shard 5 of 3"), absl::string_view::npos);
  EXPECT_NE(corrupt(44, 9).message().find("keep mode 9"), absl::string_view::npos);
  EXPECT_NE(corrupt(52, 0).message().find("tag count 0"), absl::string_view::npos);
  EXPECT_NE(corrupt(52, 60000).message().find("overruns the header"), absl::string_view::npos);
}

TEST(HitsFile, ToleratesTruncatedLastRecordWithWarning) {
  Aligned a(HitsBytes(10, 17));
  auto v = HitsView::FromBytes(a.view(), "run/hits");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->records().size(), 10u);
  EXPECT_NE(v->warning().find("run/hits: truncated last record at byte offset 4736 (17 of 64"),
            std::string::npos)
      << v->warning();
}

TEST(HitsFile, OpenMissingIsNotFound) {
  auto f = HitsFile::Open("/nonexistent/hits");
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(absl::IsNotFound(f.status()));
}

std::string AggBytes(int seconds) {
  std::string s = EncodeRunHeader(kAggrMagic, Meta());
  std::vector<Stats> tags(3);
  for (int sec = 0; sec < seconds; ++sec) {
    SecondStats ss;
    ss.second = sec;
    ss.planned = 10 + sec;
    ss.tags.assign(3, nullptr);
    tags[1].Clear();
    tags[1].Add(testing::MakeRecord(0, static_cast<uint64_t>(sec) + 1, 3));
    ss.tags[1] = &tags[1];
    s += EncodeSecondBlock(ss);
  }
  return s;
}

TEST(AggregatesFile, RoundTripAndTruncatedLastBlock) {
  const std::string full = AggBytes(3);
  auto r = AggregatesReader::FromBytes(full, "agg");
  ASSERT_TRUE(r.ok()) << r.status();
  SecondStats s;
  for (int sec = 0; sec < 3; ++sec) {
    auto more = r->Next(&s);
    ASSERT_TRUE(more.ok() && *more);
    EXPECT_EQ(s.second, sec);
    EXPECT_EQ(s.planned, 10u + sec);
    ASSERT_NE(s.tags[1], nullptr);
    EXPECT_EQ(s.tags[1]->hits, 1u);
    EXPECT_EQ(s.overall.hits, 1u);
    EXPECT_EQ(s.tags[0], nullptr);
  }
  auto end = r->Next(&s);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
  EXPECT_TRUE(r->warning().empty());
  // Any cut inside the last block: two seconds read, a warning, no error.
  const size_t two = AggBytes(2).size();
  for (size_t cut = two + 1; cut < full.size(); cut += 3) {
    auto t = AggregatesReader::FromBytes(full.substr(0, cut), "agg");
    ASSERT_TRUE(t.ok());
    int n = 0;
    while (true) {
      auto more = t->Next(&s);
      ASSERT_TRUE(more.ok()) << cut << ": " << more.status();
      if (!*more) {
        break;
      }
      ++n;
    }
    EXPECT_EQ(n, 2) << cut;
    EXPECT_NE(t->warning().find("agg: truncated last block at byte offset"), std::string::npos);
  }
}

// NextEach hands out, one tag at a time, exactly the Stats that Next keeps per tag; Open (an
// mmap of the file) reads what FromBytes reads; ScanLastSecond finds the last second unread.
TEST(AggregatesFile, NextEachHandsOutWhatNextKeepsAndOpenMapsTheFile) {
  std::string bytes = EncodeRunHeader(kAggrMagic, Meta());
  std::vector<Stats> tags(3);
  for (int sec = 0; sec < 4; ++sec) {
    SecondStats ss;
    ss.second = 2 * sec;
    ss.planned = 10 + sec;
    ss.tags.assign(3, nullptr);
    for (int t = 1; t <= 2; ++t) {
      if (sec == 2 && t == 1) {
        continue;  // a second without tag 1
      }
      tags[t].Clear();
      for (int i = 0; i <= sec + t; ++i) {
        tags[t].Add(testing::MakeRecord(t, static_cast<uint64_t>(sec * 100 + i * 7 + t), 3));
      }
      ss.tags[t] = &tags[t];
    }
    bytes += EncodeSecondBlock(ss);
  }
  const std::string dir = testing::TempDir();
  {
    std::ofstream f(dir + "/aggregates", std::ios::binary);
    f << bytes;
  }
  auto kept = AggregatesReader::FromBytes(bytes, "agg");
  auto each = AggregatesReader::Open(dir + "/aggregates");
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_TRUE(each.ok()) << each.status();
  EXPECT_EQ(each->meta().tags, Meta().tags);
  EXPECT_EQ(kept->ScanLastSecond(), 6);
  EXPECT_EQ(each->ScanLastSecond(), 6);
  int seconds = 0;
  while (true) {
    SecondStats a, b;
    auto more_a = kept->Next(&a);
    std::vector<size_t> seen;
    auto more_b = each->NextEach(&b, [&](size_t tag, const Stats& s) {
      EXPECT_EQ(b.second, a.second);  // set before the tags
      ASSERT_LT(tag, a.tags.size());
      ASSERT_NE(a.tags[tag], nullptr) << tag;
      EXPECT_EQ(s.hits, a.tags[tag]->hits);
      EXPECT_EQ(s.proto_codes.Sorted(), a.tags[tag]->proto_codes.Sorted());
      EXPECT_TRUE(s.latency == a.tags[tag]->latency && s.service == a.tags[tag]->service &&
                  s.lag == a.tags[tag]->lag)
          << tag;
      seen.push_back(tag);
    });
    ASSERT_TRUE(more_a.ok() && more_b.ok());
    ASSERT_EQ(*more_a, *more_b);
    if (!*more_a) {
      break;
    }
    ++seconds;
    EXPECT_EQ(b.planned, a.planned);
    EXPECT_TRUE(b.tags.empty());
    EXPECT_EQ(b.overall.hits, a.overall.hits);
    EXPECT_TRUE(b.overall.latency == a.overall.latency);
    std::vector<size_t> want;
    for (size_t t = 0; t < a.tags.size(); ++t) {
      if (a.tags[t] != nullptr) {
        want.push_back(t);
      }
    }
    EXPECT_EQ(seen, want) << a.second;
  }
  EXPECT_EQ(seconds, 4);
  EXPECT_EQ(each->ScanLastSecond(), 0);  // nothing left unread
  // An empty file is not mapped (mmap rejects length 0): the header error, as for no bytes.
  { std::ofstream(dir + "/aggregates", std::ios::trunc); }
  auto empty = AggregatesReader::Open(dir + "/aggregates");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("aggregates"), absl::string_view::npos) << empty.status();
  auto missing = AggregatesReader::Open(dir + "/none");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

TEST(AggregatesFile, CorruptBlockIsAnError) {
  std::string s = AggBytes(2);
  s[4096 + 6] ^= 0x55;  // inside the first block's payload
  auto r = AggregatesReader::FromBytes(s, "agg");
  ASSERT_TRUE(r.ok());
  SecondStats ss;
  auto more = r->Next(&ss);
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.status().message().find("agg: corrupt block at byte offset 4096: CRC mismatch"),
            absl::string_view::npos)
      << more.status();
}

TEST(AggregatesFile, RunDirectoryErrors) {
  auto missing = RenderReport("/nonexistent-run-dir", false);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  const std::string dir = testing::TempDir();
  auto empty = RenderReport(dir, true);
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(absl::IsNotFound(empty.status()));
  EXPECT_NE(empty.status().message().find("aggregates: no such file"), absl::string_view::npos);
  {
    std::ofstream f(dir + "/aggregates");
    f << "INCAGGR1";  // short header
  }
  auto bad = RenderReport(dir, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

}  // namespace
}  // namespace incarne
