// The page builder of `incarne plot`: what it reads, what it refuses, and that its numbers
// are the report's. The page itself is drawn in a real browser by
// tests/integration/plot_chromium.py.
#include "results/html_report.h"

#include <sys/stat.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "results/aggregates_file.h"
#include "results/collector.h"
#include "results/hits_file.h"
#include "results/results_testing.h"

namespace incarne {
namespace {

RunMeta TwoTags() {
  RunMeta m;
  m.origin_realtime_ns = int64_t{1733500000} * 1000000000;
  m.tags = {"", "index", "api"};
  return m;
}

HitRecord Hit(uint64_t planned_ns, uint64_t latency_ns, uint16_t tag, uint16_t code) {
  HitRecord r{};
  r.planned = planned_ns;
  r.start = planned_ns + 1000;
  r.connected = r.start + 10;
  r.sent = r.start + 20;
  r.first_byte = planned_ns + latency_ns - 10;
  r.done = planned_ns + latency_ns;
  r.tag = tag;
  r.proto_code = code;
  r.size_out = 100;
  r.size_in = 200;
  return r;
}

// A run directory with `seconds` seconds of two tags; the aggregates file's bytes are
// returned through *bytes so tests can damage them.
std::string MakeRun(int seconds, std::string* bytes = nullptr) {
  const std::string dir = absl::StrCat(testing::TempDir(), "/run-", seconds);
  mkdir(dir.c_str(), 0755);
  const RunMeta meta = TwoTags();
  std::string agg = EncodeRunHeader(kAggrMagic, meta);
  for (int sec = 0; sec < seconds; ++sec) {
    Stats tag_stats[3];
    SecondStats s;
    s.second = sec;
    s.planned = 100;
    s.sent = 100;
    s.inflight_max = 7;
    for (int i = 0; i < 100; ++i) {
      const uint64_t planned = static_cast<uint64_t>(sec) * 1000000000 + i * 9000000;
      const uint16_t tag = 1 + i % 2;
      const HitRecord r = Hit(planned, 1000000 + i * 10000, tag, i % 10 == 0 ? 503 : 200);
      tag_stats[tag].Add(r);
      s.overall.Add(r);
    }
    s.tags = {nullptr, &tag_stats[1], &tag_stats[2]};
    agg += EncodeSecondBlock(s);
  }
  std::ofstream(dir + "/aggregates", std::ios::binary) << agg;
  if (bytes != nullptr) {
    *bytes = agg;
  }
  return dir;
}

TEST(HtmlReport, MissingAggregatesIsNotFoundNamingTheFile) {
  const std::string dir = absl::StrCat(testing::TempDir(), "/empty-dir");
  mkdir(dir.c_str(), 0755);
  auto page = BuildHtmlReport({dir});
  ASSERT_FALSE(page.ok());
  EXPECT_TRUE(absl::IsNotFound(page.status()));
  EXPECT_NE(page.status().message().find(dir + "/aggregates"), std::string::npos) << page.status();
}

TEST(HtmlReport, PageIsOfflineAndCarriesTheReport) {
  const std::string dir = MakeRun(3);
  auto page = BuildHtmlReport({dir});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->find("://"), std::string::npos) << "no network address in the page";
  EXPECT_NE(page->find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(page->find("default-src 'none'"), std::string::npos);
  EXPECT_NE(page->find("Dygraph"), std::string::npos) << "dygraphs is embedded";
  EXPECT_NE(page->find("Permission is hereby granted"), std::string::npos) << "its licence";
  // The summary is exactly `incarne report --json` of the directory.
  auto sum = LoadRunSummary(dir);
  ASSERT_TRUE(sum.ok());
  std::string report = RenderReport(*sum, true);
  report.pop_back();
  EXPECT_NE(page->find(absl::StrCat("\"report\":", report)), std::string::npos);
  // Per-second series: 3 seconds; p99 of the per-second series is the histogram's.
  EXPECT_NE(page->find("\"bin\":1,\"t\":[0,1,2]"), std::string::npos);
  const uint64_t p99 = (sum->overall.latency.ValueAtPercentile(99) + 500) / 1000;
  EXPECT_NE(page->find(absl::StrCat("\"lat_p99\":[", p99, ",", p99, ",", p99, "]")),
            std::string::npos);
}

TEST(HtmlReport, TruncatedAggregatesGiveAPageThatSaysSo) {
  std::string bytes;
  const std::string dir = MakeRun(4, &bytes);
  std::ofstream(dir + "/aggregates", std::ios::binary) << bytes.substr(0, bytes.size() - 10);
  auto page = BuildHtmlReport({dir});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_NE(page->find("truncated last block"), std::string::npos);
}

TEST(HtmlReport, CorruptBlockIsAnError) {
  std::string bytes;
  const std::string dir = MakeRun(5, &bytes);
  bytes[4096 + 10] ^= 0x55;
  std::ofstream(dir + "/aggregates", std::ios::binary) << bytes;
  auto page = BuildHtmlReport({dir});
  ASSERT_FALSE(page.ok());
  EXPECT_NE(page.status().message().find("corrupt block"), std::string::npos) << page.status();
}

TEST(HtmlReport, EmptyRunSaysNothingWasRecorded) {
  const std::string dir = MakeRun(0);
  auto page = BuildHtmlReport({dir});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_NE(page->find("no second was recorded"), std::string::npos);
}

TEST(HtmlReport, OverlayNamesEachRun) {
  const std::string a = MakeRun(2), b = MakeRun(3);
  auto page = BuildHtmlReport({a, b});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_NE(page->find("\"name\":\"run-2\""), std::string::npos);
  EXPECT_NE(page->find("\"name\":\"run-3\""), std::string::npos);
}

TEST(HtmlReport, WriteReplacesTheFileWhole) {
  const std::string dir = MakeRun(2);
  ASSERT_TRUE(WriteHtmlReport(dir).ok());
  struct stat st;
  ASSERT_EQ(stat((dir + "/report.html").c_str(), &st), 0);
  EXPECT_GT(st.st_size, 100000);
  // A failed build leaves the old file as it was.
  const std::string bad = absl::StrCat(testing::TempDir(), "/no-such-run");
  EXPECT_FALSE(WriteHtmlReport(bad, dir + "/report.html").ok());
  struct stat st2;
  ASSERT_EQ(stat((dir + "/report.html").c_str(), &st2), 0);
  EXPECT_EQ(st2.st_size, st.st_size);
}

}  // namespace
}  // namespace incarne
