#include "usl/usl_points.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace incarne {
namespace {

using ::testing::HasSubstr;

TEST(UslCsv, HeaderCommentsBlankLinesAndCr) {
  absl::StatusOr<std::vector<UslPoint>> p =
      ParseUslCsv("N,X\r\n# a comment\n\n1, 955.16\r\n 2 ,1878.91\n3,2688.01", "p.csv");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0].n, 1);
  EXPECT_DOUBLE_EQ((*p)[0].x, 955.16);
  EXPECT_EQ((*p)[2].n, 3);
}

TEST(UslCsv, BadLinesNameTheLine) {
  EXPECT_EQ(ParseUslCsv("N,X\n1,2\nfoo,3\n", "p.csv").status().message(),
            "p.csv:3: N: expected a number (the concurrency), got \"foo\"");
  EXPECT_EQ(ParseUslCsv("1,2\n2,x\n", "p.csv").status().message(),
            "p.csv:2: X: expected a number (the throughput), got \"x\"");
  EXPECT_EQ(ParseUslCsv("1,2\n2;3\n", "p.csv").status().message(),
            "p.csv:2: expected two fields N,X (concurrency, throughput)");
  EXPECT_EQ(ParseUslCsv("1,2,3\n", "p.csv").status().message(),
            "p.csv:1: expected two fields N,X (concurrency, throughput)");
  EXPECT_EQ(ParseUslCsv("0,2\n", "p.csv").status().message(),
            "p.csv:1: N: expected a concurrency > 0");
  EXPECT_EQ(ParseUslCsv("1,-2\n", "p.csv").status().message(),
            "p.csv:1: X: expected a throughput >= 0");
  EXPECT_EQ(ParseUslCsv("1,nan\n", "p.csv").status().message(),
            "p.csv:1: X: expected a number (the throughput), got \"nan\"");
  EXPECT_EQ(ParseUslCsv("N,X\n", "p.csv").status().message(),
            "p.csv: no points: expected lines N,X");
  EXPECT_EQ(ParseUslCsv("", "p.csv").status().message(), "p.csv: no points: expected lines N,X");
}

}  // namespace
}  // namespace incarne
