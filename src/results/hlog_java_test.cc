// `convert --to hlog` read back by HdrHistogram's own Java log reader (Debian package
// libhdrhistogram-java): every interval histogram has exactly the buckets of the aggregates.
// Skipped when java or the jar is missing.
#include <stdio.h>
#include <sys/stat.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "results/aggregates_file.h"
#include "results/convert.h"
#include "results/results_testing.h"

namespace incarne {
namespace {

constexpr char kJar[] = "/usr/share/java/hdrhistogram.jar";

bool Exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

std::string Line(const std::string& tag, int64_t second, const Histogram& h) {
  std::string s = absl::StrCat(tag, " ", second, " ", h.count());
  for (int i = 0; i < Histogram::kCounts; ++i) {
    if (h.count_at(i) != 0) {
      absl::StrAppend(&s, " ", Histogram::HighestAt(i), ":", h.count_at(i));
    }
  }
  return s;
}

TEST(HlogJava, HdrHistogramJavaReadsEveryIntervalExactly) {
  if (!Exists(kJar) || system("java -version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs java and " << kJar << " (apt-get install libhdrhistogram-java)";
  }
  const std::string dir = testing::TempDir();
  testing::RunCollector(dir, {testing::MakeRecords(0, 6000, 3), testing::MakeRecords(1, 6000, 3)},
                        {"", "main", "search"}, HitsKeep{}, false, 1700000000123456789);
  FILE* out = fopen((dir + "/run.hlog").c_str(), "w");
  ASSERT_NE(out, nullptr);
  std::vector<std::string> notes;
  ConvertOptions o;
  o.format = ConvertFormat::kHlog;
  ASSERT_TRUE(ConvertRun(dir, o, out, &notes).ok());
  fclose(out);

  std::string want;
  auto agg = AggregatesReader::Open(dir + "/aggregates");
  ASSERT_TRUE(agg.ok());
  SecondStats s;
  while (*agg->Next(&s)) {
    absl::StrAppend(&want, Line("", s.second, s.overall.latency), "\n");
    for (size_t t = 1; t < s.tags.size(); ++t) {
      if (s.tags[t] != nullptr) {
        absl::StrAppend(&want, Line(agg->meta().tags[t], s.second, s.tags[t]->latency), "\n");
      }
    }
  }
  const std::string cmd = absl::StrCat("java -cp ", kJar, " ", INCARNE_RESULTS_TESTDATA,
                                       "/HlogDump.java ", dir, "/run.hlog");
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string got;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    got.append(buf, n);
  }
  ASSERT_EQ(pclose(p), 0) << cmd;
  EXPECT_EQ(got, want);
  EXPECT_GT(want.size(), 1000u);
  system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

}  // namespace
}  // namespace incarne
