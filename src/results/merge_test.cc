// merge: records concatenated with origins aligned, histograms merged exactly.
#include "results/merge.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "results/aggregates_file.h"
#include "results/collector.h"
#include "results/criteria.h"
#include "results/hits_file.h"
#include "results/results_testing.h"

namespace incarne {
namespace {

using testing::ExpectStatsEq;

constexpr int64_t kNs = 1000000000;
constexpr int64_t kOriginA = 1700000000000000000;
constexpr int64_t kOriginB = kOriginA + 2 * kNs;  // shard B started 2 s later

std::vector<HitRecord> Shift(std::vector<HitRecord> v, uint64_t d,
                             const std::vector<uint16_t>& tag_map, uint8_t worker_offset) {
  for (HitRecord& r : v) {
    r.planned += d;
    r.start += d;
    r.connected += d;
    r.sent += d;
    r.first_byte += d;
    r.done += d;
    r.tag = tag_map[r.tag];
    r.worker = static_cast<uint8_t>(r.worker + worker_offset);
  }
  return v;
}

void CheckMerge(HitsKeep keep_a, HitsKeep keep_b) {
  const std::string a = testing::TempDir(), b = testing::TempDir();
  const std::string out = testing::TempDir() + "/merged";
  const std::vector<std::string> tags_a = {"", "x", "y"};
  const std::vector<std::string> tags_b = {"", "y", "z"};
  std::vector<std::vector<HitRecord>> recs_a = {testing::MakeRecords(0, 8000, 3),
                                                testing::MakeRecords(1, 8000, 3)};
  std::vector<std::vector<HitRecord>> recs_b = {testing::MakeRecords(0, 5000, 3, 700000)};
  testing::RunCollector(a, recs_a, tags_a, keep_a, false, kOriginA);
  testing::RunCollector(b, recs_b, tags_b, keep_b, false, kOriginB);

  std::vector<std::string> notes;
  absl::Status st = MergeRuns({a, b}, out, &notes);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(notes.empty()) << notes[0];

  // What the union of the records implies, on A's origin with B's tags renamed by name.
  const std::vector<std::string> tags = {"", "x", "y", "z"};
  std::vector<std::vector<HitRecord>> all = {Shift(recs_a[0], 0, {0, 1, 2}, 0),
                                             Shift(recs_a[1], 0, {0, 1, 2}, 0),
                                             Shift(recs_b[0], 2 * kNs, {0, 2, 3}, 2)};
  auto want = testing::Expect(all, tags.size());

  auto agg = AggregatesReader::Open(out + "/aggregates");
  ASSERT_TRUE(agg.ok()) << agg.status();
  EXPECT_EQ(agg->meta().tags, tags);
  EXPECT_EQ(agg->meta().origin_realtime_ns, kOriginA);
  EXPECT_EQ(agg->meta().workers, 3u);
  EXPECT_EQ(agg->meta().keep_mixed, !(keep_a.mode == keep_b.mode && keep_a.every == keep_b.every));
  SecondStats s;
  int64_t seconds = 0;
  uint64_t planned = 0;
  while (true) {
    auto more = agg->Next(&s);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) {
      break;
    }
    ++seconds;
    planned += s.planned;
    auto it = want->seconds.find(s.second);
    for (size_t t = 0; t < tags.size(); ++t) {
      const Stats empty;
      const Stats& w = it == want->seconds.end() ? empty : it->second[t];
      if (w.hits == 0) {
        EXPECT_EQ(s.tags[t], nullptr);
      } else {
        ASSERT_NE(s.tags[t], nullptr) << s.second << " " << t;
        ExpectStatsEq(*s.tags[t], w, absl::StrCat("merged second ", s.second, " tag ", t));
      }
    }
  }
  EXPECT_EQ(planned, 8000u * 2 + 5000u);
  EXPECT_EQ(seconds, want->seconds.rbegin()->first + 1);

  // Totals, and summary.json == report --json.
  auto sum = LoadRunSummary(out);
  ASSERT_TRUE(sum.ok());
  ExpectStatsEq(sum->overall, want->overall, "merged overall");
  for (size_t t = 0; t < tags.size(); ++t) {
    ExpectStatsEq(sum->tags[t].get(), want->tags[t], absl::StrCat("merged tag ", t));
  }
  auto report = RenderReport(out, true);
  ASSERT_TRUE(report.ok());
  auto file = ReadFileToString(out + "/summary.json");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*file, *report);

  // Raw records: A's then B's, B's shifted by 2 s and renamed.
  auto ha = HitsFile::Open(a + "/hits");
  auto hb = HitsFile::Open(b + "/hits");
  auto hm = HitsFile::Open(out + "/hits");
  ASSERT_TRUE(ha.ok() && hb.ok() && hm.ok());
  const auto ra = ha->view().records();
  const auto rb = hb->view().records();
  const auto rm = hm->view().records();
  ASSERT_EQ(rm.size(), ra.size() + rb.size());
  EXPECT_EQ(std::memcmp(rm.data(), ra.data(), ra.size_bytes()), 0);
  const auto shifted = Shift(std::vector<HitRecord>(rb.begin(), rb.end()), 2 * kNs, {0, 2, 3}, 2);
  EXPECT_EQ(std::memcmp(rm.data() + ra.size(), shifted.data(), rb.size_bytes()), 0);

  // The output directory is not overwritten.
  notes.clear();
  EXPECT_TRUE(absl::IsFailedPrecondition(MergeRuns({a, b}, out, &notes)));
  std::system(absl::StrCat("rm -rf '", a, "' '", b, "' '", out, "/..'").c_str());
}

TEST(Merge, ExactWithAlignedOrigins) { CheckMerge(HitsKeep{}, HitsKeep{}); }

TEST(Merge, AggregatesStayExactWhenRawRecordsWereSampled) {
  HitsKeep sample;
  sample.mode = HitsKeep::Mode::kSample;
  sample.every = 5;
  CheckMerge(sample, HitsKeep{});
}

TEST(Merge, FractionalOriginOffsetIsNotedAndTotalsStayExact) {
  const std::string a = testing::TempDir(), b = testing::TempDir();
  const std::string out = testing::TempDir() + "/m";
  testing::RunCollector(a, {testing::MakeRecords(0, 3000, 1)}, {}, HitsKeep{}, false, kOriginA);
  testing::RunCollector(b, {testing::MakeRecords(0, 3000, 1)}, {}, HitsKeep{}, false,
                        kOriginA + kNs / 2);
  std::vector<std::string> notes;
  ASSERT_TRUE(MergeRuns({a, b}, out, &notes).ok());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("0.500 s after the earliest origin"), std::string::npos) << notes[0];
  auto sum = LoadRunSummary(out);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->overall.hits, 6000u);
  // min/max times are shifted exactly.
  auto sa = LoadRunSummary(a);
  auto sb = LoadRunSummary(b);
  EXPECT_EQ(sum->overall.min_start,
            std::min(sa->overall.min_start, sb->overall.min_start + kNs / 2));
  EXPECT_EQ(sum->overall.max_done, std::max(sa->overall.max_done, sb->overall.max_done + kNs / 2));
  Histogram h = sa->overall.latency;
  h.Merge(sb->overall.latency);
  EXPECT_TRUE(h == sum->overall.latency);
  std::system(absl::StrCat("rm -rf '", a, "' '", b, "' '", out, "/..'").c_str());
}

// Which input autostop stopped is carried to the merged run: its verdict on the merged
// clock, the input named, autostop_report.txt written so that report and plot read it back.
TEST(Merge, CarriesTheAutostopVerdictOfTheInputThatFiredFirst) {
  const std::string a = testing::TempDir(), b = testing::TempDir();
  const std::string out = testing::TempDir() + "/m";
  testing::RunCollector(a, {testing::MakeRecords(0, 3000, 1)}, {}, HitsKeep{}, false, kOriginA);
  testing::RunCollector(b, {testing::MakeRecords(0, 3000, 1)}, {}, HitsKeep{}, false, kOriginB);
  AutostopVerdict va;
  va.criterion = "limit(5s)";
  va.second = 4;
  va.since = 0;
  va.explain = "Test time elapsed. Limit: 5s, actual time: 5s";
  va.tank_rc = 21;
  va.figures = {{"limit_s", 5}, {"elapsed_s", 5}};
  AutostopVerdict vb;
  vb.criterion = "http(5xx,10%,2s)";
  vb.second = 1;  // second 3 on A's clock: B fired first
  vb.since = 0;
  vb.explain = "5xx codes count higher than 10% for 2s, since second 0";
  vb.tank_rc = 22;
  vb.figures = {{"value", 1}, {"level", 0.1}, {"seconds", 2}, {"since", 0}};
  for (const auto& [dir, v] : {std::pair{a, va}, std::pair{b, vb}}) {
    FILE* f = std::fopen((dir + "/" + kAutostopReportFile).c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(FormatAutostopReport(v).c_str(), f);
    std::fclose(f);
  }
  std::vector<std::string> notes;
  absl::Status st = MergeRuns({a, b}, out, &notes);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(notes.size(), 2u);  // both inputs that stopped are named
  EXPECT_NE(notes[0].find("input 1 of 2"), std::string::npos) << notes[0];
  auto sum = LoadRunSummary(out);
  ASSERT_TRUE(sum.ok()) << sum.status();
  ASSERT_TRUE(sum->autostop.has_value());
  EXPECT_EQ(sum->autostop->criterion, "http(5xx,10%,2s)");
  EXPECT_EQ(sum->autostop->second, 3);
  EXPECT_EQ(sum->autostop->since, 2);
  EXPECT_NE(sum->autostop->explain.find("(input 2 of 2, shard 0: " + b + ")"), std::string::npos)
      << sum->autostop->explain;
  ASSERT_EQ(sum->autostop->figures.size(), 5u);
  EXPECT_EQ(sum->autostop->figures[3], (std::pair<std::string, double>{"since", 2}));
  EXPECT_EQ(sum->autostop->figures[4], (std::pair<std::string, double>{"input", 2}));
  auto summary = ReadFileToString(out + "/summary.json");
  ASSERT_TRUE(summary.ok());
  EXPECT_NE(summary->find("\"autostop\":{\"criterion\":\"http(5xx,10%,2s)\",\"second\":3"),
            std::string::npos)
      << *summary;
  // ... and in the merged stats.jsonl, on the line of the second it fired at.
  auto stats = ReadFileToString(out + "/stats.jsonl");
  ASSERT_TRUE(stats.ok());
  const size_t at = stats->find("\"autostop\":");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(stats->rfind("{\"second\":3,", at), stats->rfind("{\"second\":", at));
  EXPECT_EQ(stats->find("\"autostop\":", at + 1), std::string::npos);
  std::system(
      absl::StrCat("rm -rf '", a, "' '", b, "' '", out.substr(0, out.rfind('/')), "'").c_str());
}

TEST(Merge, MissingInputIsNotFound) {
  std::vector<std::string> notes;
  EXPECT_TRUE(absl::IsNotFound(MergeRuns({"/nonexistent"}, "/tmp/never-created", &notes)));
}

}  // namespace
}  // namespace incarne
