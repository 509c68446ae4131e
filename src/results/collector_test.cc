// Producer threads write known records → the collector's files and every converter's output
// are exactly what the records imply.
#include "results/collector.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "results/aggregates_file.h"
#include "results/convert.h"
#include "results/hits_file.h"
#include "results/results_testing.h"

namespace incarne {
namespace {

using testing::Expect;
using testing::ExpectStatsEq;
using testing::MakeRecords;
using testing::RunCollector;
using testing::TempDir;

constexpr int64_t kOrigin = 1700000000123456789;  // CLOCK_REALTIME of the test run's origin
const std::vector<std::string> kTags = {"", "main", "search, with comma"};

std::string ReadAll(const std::string& path) {
  auto s = ReadFileToString(path);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    out.push_back(line);
  }
  return out;
}

std::string Convert(const std::string& dir, ConvertFormat f, std::vector<std::string>* notes,
                    bool corrected = false) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* mem = open_memstream(&buf, &len);
  ConvertOptions o;
  o.format = f;
  o.corrected = corrected;
  absl::Status st = ConvertRun(dir, o, mem, notes);
  EXPECT_TRUE(st.ok()) << st;
  std::fclose(mem);
  std::string out(buf, len);
  free(buf);
  return out;
}

// phout written independently of FormatPhoutLine: snprintf from the definitions.
std::string ExpectedPhout(const HitRecord& r, const std::string& tag) {
  const uint64_t st = r.start;
  const uint64_t d = std::max(r.done, st);
  auto fix = [d](uint64_t prev, uint64_t t) { return (t < prev || t > d) ? d : t; };
  const uint64_t c = fix(st, r.connected);
  const uint64_t s = fix(c, r.sent);
  const uint64_t f = fix(s, r.first_byte);
  const int64_t t = kOrigin + static_cast<int64_t>(st);
  const auto us = [st](uint64_t x) { return static_cast<unsigned long long>((x - st) / 1000); };
  char buf[512];
  std::snprintf(
      buf, sizeof(buf), "%lld.%03lld\t%s\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%u\t%u\t%u\t%u",
      static_cast<long long>(t / 1000000000), static_cast<long long>((t % 1000000000) / 1000000),
      tag.c_str(), us(d), us(c), us(s) - us(c), us(f) - us(s), us(d) - us(f), us(d), r.size_out,
      r.size_in, r.net_code, r.proto_code);
  return buf;
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    for (uint8_t w = 0; w < 2; ++w) {
      per_worker_.push_back(MakeRecords(w, 20000, static_cast<uint16_t>(kTags.size())));
    }
    expected_ = Expect(per_worker_, kTags.size());
  }
  void TearDown() override {
    if (!HasFailure()) {
      std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
    }
  }
  uint64_t TotalRecords() const { return per_worker_[0].size() + per_worker_[1].size(); }

  // The aggregates file holds exactly the expected per-second, per-tag stats.
  // allow_dropped: raw records lost to a full ring (worker seconds: the stats stay exact).
  void CheckAggregates(bool allow_dropped = false) {
    auto reader = AggregatesReader::Open(dir_ + "/aggregates");
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ(reader->meta().tags, kTags);
    EXPECT_EQ(reader->meta().origin_realtime_ns, kOrigin);
    EXPECT_EQ(reader->meta().workers, 2u);
    SecondStats s;
    int64_t next = 0;
    uint64_t planned_total = 0;
    while (true) {
      auto more = reader->Next(&s);
      ASSERT_TRUE(more.ok()) << more.status();
      if (!*more) {
        break;
      }
      EXPECT_EQ(s.second, next) << "seconds are continuous from 0";
      ++next;
      EXPECT_EQ(s.late, 0u);
      if (!allow_dropped) {
        EXPECT_EQ(s.ring_dropped, 0u);
      }
      planned_total += s.planned;
      // Planned shots with planned time in [s, s+1).
      uint64_t want_planned = 0;
      for (const auto& recs : per_worker_) {
        for (const HitRecord& r : recs) {
          want_planned += static_cast<int64_t>(r.planned / 1000000000) == s.second ? 1 : 0;
        }
      }
      EXPECT_EQ(s.planned, want_planned) << "second " << s.second;
      auto it = expected_->seconds.find(s.second);
      Stats overall;
      for (size_t t = 0; t < kTags.size(); ++t) {
        const Stats empty;
        const Stats& want = it == expected_->seconds.end() ? empty : it->second[t];
        if (want.hits == 0) {
          EXPECT_EQ(s.tags[t], nullptr) << "second " << s.second << " tag " << t;
          continue;
        }
        ASSERT_NE(s.tags[t], nullptr) << "second " << s.second << " tag " << t;
        ExpectStatsEq(*s.tags[t], want, absl::StrCat("second ", s.second, " tag ", t));
        overall.Merge(want);
      }
      ExpectStatsEq(s.overall, overall, absl::StrCat("second ", s.second, " overall"));
    }
    EXPECT_EQ(next, expected_->seconds.rbegin()->first + 1);
    EXPECT_EQ(planned_total, TotalRecords());
  }

  void CheckSummary(const RunSummary& sum) {
    ExpectStatsEq(sum.overall, expected_->overall, "summary overall");
    for (size_t t = 0; t < kTags.size(); ++t) {
      ExpectStatsEq(sum.tags[t].get(), expected_->tags[t], absl::StrCat("summary tag ", t));
    }
    EXPECT_EQ(sum.planned, TotalRecords());
    EXPECT_EQ(sum.sent, TotalRecords());
    EXPECT_EQ(sum.ring_dropped, 0u);
    EXPECT_EQ(sum.late, 0u);
    // summary.json is exactly what `incarne report --json` prints for the directory.
    auto report = RenderReport(dir_, true);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(ReadAll(dir_ + "/summary.json"), *report);
    EXPECT_EQ(*report, RenderReport(sum, true));
  }

  std::string dir_;
  std::vector<std::vector<HitRecord>> per_worker_;
  std::unique_ptr<testing::Expected> expected_;
};

TEST_F(CollectorTest, KeepAllFilesAndConvertersAreExact) {
  const RunSummary sum =
      RunCollector(dir_, per_worker_, kTags, HitsKeep{}, /*phout=*/true, kOrigin);
  CheckAggregates();
  CheckSummary(sum);
  EXPECT_EQ(sum.hits_written, TotalRecords());

  // hits: the header, then every record; each worker's records in push order.
  auto hits = HitsFile::Open(dir_ + "/hits");
  ASSERT_TRUE(hits.ok()) << hits.status();
  const HitsView& v = hits->view();
  EXPECT_TRUE(v.warning().empty());
  EXPECT_EQ(v.meta().tags, kTags);
  EXPECT_EQ(v.meta().origin_realtime_ns, kOrigin);
  EXPECT_EQ(v.meta().workers, 2u);
  EXPECT_EQ(v.meta().keep.mode, HitsKeep::Mode::kAll);
  ASSERT_EQ(v.records().size(), TotalRecords());
  std::vector<size_t> next(2, 0);
  for (const HitRecord& r : v.records()) {
    ASSERT_LT(r.worker, 2);
    ASSERT_LT(next[r.worker], per_worker_[r.worker].size());
    ASSERT_EQ(std::memcmp(&r, &per_worker_[r.worker][next[r.worker]++], sizeof(r)), 0);
  }

  // stats.jsonl: one line per second, overall hits as expected.
  const auto stats_lines = Lines(ReadAll(dir_ + "/stats.jsonl"));
  ASSERT_EQ(stats_lines.size(), expected_->seconds.rbegin()->first + 1u);
  for (size_t s = 0; s < stats_lines.size(); ++s) {
    auto it = expected_->seconds.find(static_cast<int64_t>(s));
    uint64_t hits_in_second = 0;
    if (it != expected_->seconds.end()) {
      for (const Stats& t : it->second) {
        hits_in_second += t.hits;
      }
    }
    EXPECT_EQ(stats_lines[s].rfind(absl::StrCat("{\"second\":", s, ",\"ts\":"), 0), 0u)
        << stats_lines[s];
    EXPECT_NE(stats_lines[s].find(absl::StrCat("\"overall\":{\"hits\":", hits_in_second, ",")),
              std::string::npos)
        << stats_lines[s];
    // The overall latency histogram: its counts add up to the timed hits (all but 777).
    const std::string key = "\"latency_hist_us\":[";
    const size_t at = stats_lines[s].find(key);
    ASSERT_NE(at, std::string::npos);
    uint64_t hist_total = 0;
    size_t pos = at + key.size();
    while (stats_lines[s][pos] == '[') {
      const size_t comma = stats_lines[s].find(',', pos);
      const size_t close = stats_lines[s].find(']', comma);
      hist_total += std::stoull(stats_lines[s].substr(comma + 1, close - comma - 1));
      pos = close + 1;
      if (stats_lines[s][pos] == ',') {
        ++pos;
      }
    }
    EXPECT_EQ(stats_lines[s][pos], ']');
    uint64_t timed = 0;
    if (it != expected_->seconds.end()) {
      for (const Stats& t : it->second) {
        timed += t.latency.count();
      }
    }
    EXPECT_EQ(hist_total, timed) << "second " << s;
  }

  // phout.log (live) and convert --to phout: byte-identical, and line by line what the
  // definitions give (records in hits order = drain order).
  std::vector<std::string> notes;
  const std::string phout = Convert(dir_, ConvertFormat::kPhout, &notes);
  EXPECT_TRUE(notes.empty());
  EXPECT_EQ(ReadAll(dir_ + "/phout.log"), phout);
  const auto phout_lines = Lines(phout);
  ASSERT_EQ(phout_lines.size(), v.records().size());
  for (size_t i = 0; i < phout_lines.size(); ++i) {
    const HitRecord& r = v.records()[i];
    ASSERT_EQ(phout_lines[i], ExpectedPhout(r, kTags[r.tag])) << i;
    const std::vector<std::string> f = absl::StrSplit(phout_lines[i], '\t');
    ASSERT_EQ(f.size(), 12u);
    const uint64_t sum_phases =
        std::stoull(f[3]) + std::stoull(f[4]) + std::stoull(f[5]) + std::stoull(f[6]);
    ASSERT_EQ(std::stoull(f[2]), sum_phases) << phout_lines[i];
  }

  // JTL: header, one row per hit, success/codes/elapsed in ms.
  const auto jtl = Lines(Convert(dir_, ConvertFormat::kJtl, &notes));
  ASSERT_EQ(jtl.size(), v.records().size() + 1);
  EXPECT_EQ(jtl[0],
            "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
            "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect");
  for (size_t i = 0; i < v.records().size(); ++i) {
    const HitRecord& r = v.records()[i];
    const std::string& row = jtl[i + 1];
    const std::string ts = absl::StrCat((kOrigin + static_cast<int64_t>(r.start)) / 1000000, ",",
                                        (std::max(r.done, r.start) - r.start) / 1000000, ",");
    ASSERT_EQ(row.rfind(ts, 0), 0u) << row;
    const bool ok = r.net_code == 0 && r.proto_code < 400;
    ASSERT_NE(row.find(ok ? ",text,true," : ",text,false,"), std::string::npos) << row;
    if (r.tag == 2) {
      ASSERT_NE(row.find(",\"search, with comma\","), std::string::npos) << row;
    } else if (r.tag == 0) {
      ASSERT_NE(row.find(",untagged,"), std::string::npos) << row;
    }
    if (r.net_code == 110) {
      ASSERT_NE(row.find(",ETIMEDOUT,"), std::string::npos) << row;
    } else if (r.net_code == 0) {
      ASSERT_NE(row.find(absl::StrCat(",", r.proto_code, ",")), std::string::npos) << row;
    }
  }

  // vegeta CSV: 12 columns, ns timestamp and latency.
  const auto veg = Lines(Convert(dir_, ConvertFormat::kVegeta, &notes));
  ASSERT_EQ(veg.size(), v.records().size());
  for (size_t i = 0; i < veg.size(); ++i) {
    const HitRecord& r = v.records()[i];
    const std::string quoted = ",\"search, with comma\",";
    std::string row = veg[i];
    if (auto q = row.find(quoted); q != std::string::npos) {
      row.replace(q, quoted.size(), ",x,");
    }
    const std::vector<std::string> f = absl::StrSplit(row, ',');
    ASSERT_EQ(f.size(), 12u) << veg[i];
    ASSERT_EQ(f[0], absl::StrCat(kOrigin + static_cast<int64_t>(r.start)));
    ASSERT_EQ(f[1], absl::StrCat(r.proto_code));
    ASSERT_EQ(f[2], absl::StrCat(std::max(r.done, r.start) - r.start));
    ASSERT_EQ(f[3], absl::StrCat(r.size_out));
    ASSERT_EQ(f[4], absl::StrCat(r.size_in));
    ASSERT_EQ(f[8], absl::StrCat(i));
  }
  // --corrected times from the planned time.
  const auto veg_c = Lines(Convert(dir_, ConvertFormat::kVegeta, &notes, /*corrected=*/true));
  ASSERT_EQ(veg_c.size(), v.records().size());
  EXPECT_EQ(veg_c[0].substr(0, veg_c[0].find(',')),
            absl::StrCat(kOrigin + static_cast<int64_t>(v.records()[0].planned)));

  // JSON lines: one object per hit, weight 1.
  const auto jl = Lines(Convert(dir_, ConvertFormat::kJsonl, &notes));
  ASSERT_EQ(jl.size(), v.records().size());
  for (size_t i = 0; i < jl.size(); ++i) {
    ASSERT_EQ(jl[i].front(), '{');
    ASSERT_NE(jl[i].find(",\"weight\":1}"), std::string::npos) << jl[i];
    ASSERT_NE(jl[i].find(absl::StrCat("\"planned_ns\":", v.records()[i].planned, ",")),
              std::string::npos);
  }
  EXPECT_TRUE(notes.empty());

  // hlog: one untagged line per second whose histogram is the second's corrected latency,
  // and tagged lines per tag.
  const auto hlog = Lines(Convert(dir_, ConvertFormat::kHlog, &notes));
  auto agg = AggregatesReader::Open(dir_ + "/aggregates");
  ASSERT_TRUE(agg.ok());
  size_t li = 0;
  while (li < hlog.size() && (hlog[li][0] == '#' || hlog[li][0] == '"')) {
    EXPECT_LT(hlog[li].size(), 127u) << "HdrHistogram_c reads header lines into 128 bytes";
    ++li;
  }
  EXPECT_EQ(hlog[1], "#[Histogram log format version 1.3]");
  SecondStats s;
  size_t seconds = 0, tagged = 0;
  while (true) {
    auto more = agg->Next(&s);
    ASSERT_TRUE(more.ok());
    if (!*more) {
      break;
    }
    ++seconds;
    ASSERT_LT(li, hlog.size());
    std::vector<std::string> f = absl::StrSplit(hlog[li++], ',');
    ASSERT_EQ(f.size(), 4u);
    EXPECT_EQ(f[0], absl::StrCat(s.second, ".000"));
    EXPECT_EQ(f[1], "1.000");
    const auto d = testing::DecodeHdr(testing::Base64Decode(f[3]));
    ASSERT_EQ(d.counts.size(),
              s.overall.latency.count() == 0 ? 0u : s.overall.latency.hi_index() + 1u);
    for (size_t i = 0; i < d.counts.size(); ++i) {
      ASSERT_EQ(static_cast<uint64_t>(d.counts[i]),
                s.overall.latency.count_at(static_cast<int>(i)));
    }
    while (li < hlog.size() && hlog[li].rfind("Tag=", 0) == 0) {
      ++tagged;
      std::vector<std::string> tf = absl::StrSplit(hlog[li++], ',');
      ASSERT_EQ(tf.size(), 5u) << "a tag never carries a comma";
      const std::string tag = tf[0].substr(4);
      const size_t id = tag == "main" ? 1 : 2;
      EXPECT_EQ(tag, id == 1 ? "main" : "search__with_comma");
      ASSERT_NE(s.tags[id], nullptr);
      const auto td = testing::DecodeHdr(testing::Base64Decode(tf[4]));
      ASSERT_EQ(td.counts.size(), s.tags[id]->latency.hi_index() + 1u);
    }
  }
  EXPECT_EQ(li, hlog.size());
  EXPECT_EQ(seconds, expected_->seconds.rbegin()->first + 1u);
  EXPECT_GT(tagged, 0u);
}

TEST_F(CollectorTest, SampledRawRecordsKeepEveryErrorAndEveryNthSuccess) {
  HitsKeep keep;
  keep.mode = HitsKeep::Mode::kSample;
  keep.every = 10;
  const RunSummary sum = RunCollector(dir_, per_worker_, kTags, keep, false, kOrigin);
  // Aggregates stay complete.
  CheckAggregates();
  CheckSummary(sum);
  uint64_t errors = 0, successes = 0;
  for (const auto& recs : per_worker_) {
    for (const HitRecord& r : recs) {
      (IsError(r) ? errors : successes) += 1;
    }
  }
  auto hits = HitsFile::Open(dir_ + "/hits");
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hits->view().meta().keep.mode, HitsKeep::Mode::kSample);
  EXPECT_EQ(hits->view().meta().keep.every, 10u);
  uint64_t got_errors = 0, got_successes = 0;
  for (const HitRecord& r : hits->view().records()) {
    (IsError(r) ? got_errors : got_successes) += 1;
  }
  EXPECT_EQ(got_errors, errors);
  EXPECT_EQ(got_successes, (successes + 9) / 10);
  EXPECT_EQ(sum.hits_written, got_errors + got_successes);
  // Per-hit converters say so, and jsonl weighs successes by 10.
  std::vector<std::string> notes;
  const auto jl = Lines(Convert(dir_, ConvertFormat::kJsonl, &notes));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("sample:10"), std::string::npos);
  uint64_t weight = 0;
  for (const std::string& l : jl) {
    weight += l.find("\"weight\":10}") != std::string::npos ? 10 : 1;
  }
  EXPECT_EQ(weight, errors + 10 * ((successes + 9) / 10));
  notes.clear();
  Convert(dir_, ConvertFormat::kPhout, &notes);
  EXPECT_EQ(notes.size(), 1u);
  notes.clear();
  Convert(dir_, ConvertFormat::kHlog, &notes);
  EXPECT_TRUE(notes.empty()) << "hlog comes from the complete aggregates";
  // The report says what was kept.
  auto text = RenderReport(dir_, false);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("sample:10"), std::string::npos);
}

TEST_F(CollectorTest, ErrorsOnly) {
  HitsKeep keep;
  keep.mode = HitsKeep::Mode::kErrors;
  const RunSummary sum = RunCollector(dir_, per_worker_, kTags, keep, false, kOrigin);
  CheckAggregates();
  CheckSummary(sum);
  auto hits = HitsFile::Open(dir_ + "/hits");
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hits->view().records().size(), expected_->overall.errors);
  for (const HitRecord& r : hits->view().records()) {
    EXPECT_TRUE(IsError(r));
  }
}

// Workers that aggregate their seconds themselves (what the engine's workers do): the same
// files, exactly, and raw records only as results.hits asks.
TEST_F(CollectorTest, WorkerSecondsKeepAllAreExact) {
  const RunSummary sum = RunCollector(dir_, per_worker_, kTags, HitsKeep{}, /*phout=*/true, kOrigin,
                                      1 << 16, /*worker_seconds=*/true);
  CheckAggregates();
  CheckSummary(sum);
  EXPECT_EQ(sum.hits_written, TotalRecords());
  EXPECT_EQ(Lines(ReadAll(dir_ + "/phout.log")).size(), TotalRecords());
}

TEST_F(CollectorTest, WorkerSecondsSampleEachWorkersNthSuccess) {
  HitsKeep keep;
  keep.mode = HitsKeep::Mode::kSample;
  keep.every = 10;
  const RunSummary sum =
      RunCollector(dir_, per_worker_, kTags, keep, false, kOrigin, 1 << 16, true);
  CheckAggregates();
  CheckSummary(sum);
  uint64_t errors = 0, kept_successes = 0;
  for (const auto& recs : per_worker_) {
    uint64_t successes = 0;
    for (const HitRecord& r : recs) {
      (IsError(r) ? errors : successes) += 1;
    }
    kept_successes += (successes + 9) / 10;
  }
  auto hits = HitsFile::Open(dir_ + "/hits");
  ASSERT_TRUE(hits.ok());
  uint64_t got_errors = 0, got_successes = 0;
  for (const HitRecord& r : hits->view().records()) {
    (IsError(r) ? got_errors : got_successes) += 1;
  }
  EXPECT_EQ(got_errors, errors);
  EXPECT_EQ(got_successes, kept_successes);
  EXPECT_EQ(sum.hits_written, got_errors + got_successes);
}

// A ring far too small for the raw records: every hit is still in the stats (nothing late,
// nothing missing), and the raw records lost are counted.
TEST_F(CollectorTest, WorkerSecondsFullRingLosesRawRecordsNeverHits) {
  const RunSummary sum =
      RunCollector(dir_, per_worker_, kTags, HitsKeep{}, false, kOrigin, 64, true);
  CheckAggregates(/*allow_dropped=*/true);
  ExpectStatsEq(sum.overall, expected_->overall, "summary overall");
  EXPECT_EQ(sum.late, 0u);
  EXPECT_GT(sum.ring_dropped, 0u);
  EXPECT_EQ(sum.hits_written + sum.ring_dropped, TotalRecords());
  auto text = RenderReport(dir_, false);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find(absl::StrCat(sum.ring_dropped, " records lost to full result rings")),
            std::string::npos)
      << *text;
}

TEST(Collector, FullRingIsCountedAndReportedNeverSilent) {
  const std::string dir = TempDir();
  auto ring = ResultRing::Create(64, 0);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring->capacity(), 64u);
  // No collector yet: the ring fills, Push fails fast and counts.
  uint64_t failed = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    failed += ring->Push(testing::MakeRecord(0, i, 1)) ? 0 : 1;
  }
  EXPECT_EQ(failed, 136u);
  EXPECT_EQ(ring->header()->dropped.load(), 136u);
  ring->MarkFinished();
  CollectorOptions o;
  o.run_dir = dir;
  o.origin_realtime_ns = kOrigin;
  o.origin_mono_ns = testing::MonoNow() + int64_t{3600} * 1000000000;
  auto c = Collector::Start(std::move(o), {&*ring});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Finish().ok());
  EXPECT_EQ((*c)->summary().ring_dropped, 136u);
  EXPECT_EQ((*c)->summary().overall.hits, 64u);
  EXPECT_EQ((*c)->summary().hits_written, 64u);
  auto text = RenderReport(dir, false);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("136 records lost to full result rings"), std::string::npos) << *text;
  auto json = RenderReport(dir, true);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"ring_dropped\":136,"), std::string::npos);
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

TEST(Collector, EmptyRunStillWritesEveryFile) {
  const std::string dir = TempDir();
  auto ring = ResultRing::Create(64, 0);
  ASSERT_TRUE(ring.ok());
  ring->MarkFinished();
  CollectorOptions o;
  o.run_dir = dir;
  o.origin_realtime_ns = kOrigin;
  o.origin_mono_ns = testing::MonoNow();
  auto c = Collector::Start(std::move(o), {&*ring});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Finish().ok());
  EXPECT_EQ((*c)->summary().overall.hits, 0u);
  auto json = RenderReport(dir, true);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->rfind("{\"hits\":0,\"duration_s\":0,\"rps\":0,", 0), 0u) << *json;
  EXPECT_NE(json->find("\"latency_us\":{\"p50\":0,\"p75\":0,\"p90\":0,\"p95\":0,\"p99\":0,"
                       "\"p99.9\":0,\"max\":0,"),
            std::string::npos)
      << *json;
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

// Seconds are written by the clock while the run goes on; a record that arrives after its
// second was written is counted (late) in the next second and in the totals.
TEST(Collector, ClockWritesSecondsAndLateRecordsAreCounted) {
  const std::string dir = TempDir();
  auto ring = ResultRing::Create(1024, 0);
  ASSERT_TRUE(ring.ok());
  std::atomic<int64_t> last_second{-1};
  std::atomic<int> calls{0};
  CollectorOptions o;
  o.run_dir = dir;
  o.origin_realtime_ns = kOrigin;
  o.origin_mono_ns = testing::MonoNow() - int64_t{5} * 1000000000;  // 5 s ago
  o.on_second = [&](const SecondStats& s) {
    last_second.store(s.second);
    calls.fetch_add(1);
  };
  char* live_buf = nullptr;
  size_t live_len = 0;
  FILE* live = open_memstream(&live_buf, &live_len);
  o.live = live;
  HitRecord r = testing::MakeRecord(0, 1, 1);
  auto c = Collector::Start(std::move(o), {&*ring});
  ASSERT_TRUE(c.ok());
  // Wait (bounded) until the clock has written seconds 0..3.
  for (int i = 0; i < 20000 && last_second.load() < 3; ++i) {
    usleep(1000);
  }
  ASSERT_GE(last_second.load(), 3);
  // Late: done in second 1, which is already written.
  r.done = 1500000000;
  r.first_byte = r.sent = r.connected = r.start = r.planned = 1400000000;
  ASSERT_TRUE(ring->Push(r));
  ring->MarkFinished();
  ASSERT_TRUE((*c)->Finish().ok());
  const RunSummary& sum = (*c)->summary();
  EXPECT_EQ(sum.overall.hits, 1u);
  EXPECT_EQ(sum.late, 1u);
  EXPECT_EQ(sum.seconds, static_cast<uint64_t>(calls.load()));
  std::fclose(live);
  const auto live_lines = Lines(std::string(live_buf, live_len));
  free(live_buf);
  EXPECT_EQ(live_lines.size(), sum.seconds);
  EXPECT_EQ(live_lines[0].rfind("[    1s] rps planned 0 sent 0 done 0", 0), 0u) << live_lines[0];
  // stats.jsonl is continuous from second 0.
  const auto lines = Lines(ReadAll(dir + "/stats.jsonl"));
  ASSERT_EQ(lines.size(), sum.seconds);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].rfind(absl::StrCat("{\"second\":", i, ","), 0), 0u);
  }
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

}  // namespace
}  // namespace incarne
