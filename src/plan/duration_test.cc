#include "plan/duration.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace incarne {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kUs = 1000;
constexpr int64_t kMs = 1000 * kUs;
constexpr int64_t kSec = 1000 * kMs;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;

int64_t Ns(std::string_view text) {
  absl::StatusOr<int64_t> ns = ParseDuration(text);
  EXPECT_TRUE(ns.ok()) << text << ": " << ns.status();
  return ns.ok() ? *ns : -1;
}

std::string Error(std::string_view text) {
  absl::StatusOr<int64_t> ns = ParseDuration(text);
  EXPECT_FALSE(ns.ok()) << text << " parsed as " << (ns.ok() ? *ns : 0);
  if (ns.ok()) {
    return "";
  }
  EXPECT_EQ(ns.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(ns.status().message());
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(Ns("1h30m"), kHour + 30 * kMin);
  EXPECT_EQ(Ns("90s"), 90 * kSec);
  EXPECT_EQ(Ns("1.5m"), 90 * kSec);
  EXPECT_EQ(Ns("500ms"), 500 * kMs);
  EXPECT_EQ(Ns("2d"), 2 * kDay);
  EXPECT_EQ(Ns("250us"), 250 * kUs);
  EXPECT_EQ(Ns("10ns"), 10);
  EXPECT_EQ(Ns("1d2h3m4s5ms6us7ns"),
            kDay + 2 * kHour + 3 * kMin + 4 * kSec + 5 * kMs + 6 * kUs + 7);
  EXPECT_EQ(Ns("0"), 0);
  EXPECT_EQ(Ns("0s"), 0);
}

TEST(ParseDuration, BareNumberIsSeconds) {
  EXPECT_EQ(Ns("90"), 90 * kSec);
  EXPECT_EQ(Ns("1.5"), 1500 * kMs);
  EXPECT_EQ(Ns("1m30"), 90 * kSec);            // Tank: trailing bare seconds
  EXPECT_EQ(Ns("27h103m645"), 104025 * kSec);  // Tank's own example
}

TEST(ParseDuration, FractionsAreExact) {
  EXPECT_EQ(Ns("1.005s"), 1005 * kMs);  // exact here; the schedule converts the Tank way
  EXPECT_EQ(Ns("0.1s"), 100 * kMs);
  EXPECT_EQ(Ns(".5s"), 500 * kMs);
  EXPECT_EQ(Ns("5.s"), 5 * kSec);
  EXPECT_EQ(Ns("0.000000001s"), 1);
  EXPECT_EQ(Ns("0.0000000019s"), 1);  // below 1 ns: truncated
  EXPECT_EQ(Ns("1.5ns"), 1);
  EXPECT_EQ(Ns("0.333333333333333333333333333333h"), 1200 * kSec - 1);
  EXPECT_EQ(Ns("1.25ms"), 1250 * kUs);
  EXPECT_EQ(Ns("0001.5000m"), 90 * kSec);
}

TEST(ParseDuration, Limits) {
  EXPECT_EQ(Ns("9223372036854775807ns"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Ns("9223372036.854775807s"), std::numeric_limits<int64_t>::max());
  EXPECT_THAT(Error("9223372036854775808ns"), StartsWith("column 1: expected a smaller"));
  EXPECT_THAT(Error("106751d23h48m"), StartsWith("column 11: expected a smaller"));
  EXPECT_THAT(Error("99999999999999999999999999999s"), StartsWith("column 1: expected a smaller"));
  EXPECT_EQ(Ns("00000000000000000000000000000001s"), kSec);
}

TEST(ParseDuration, ErrorsNameTheColumn) {
  EXPECT_THAT(Error(""), StartsWith("column 1: expected a duration"));
  EXPECT_THAT(Error("abc"), StartsWith("column 1: expected a duration"));
  EXPECT_THAT(Error("-5s"), StartsWith("column 1:"));
  EXPECT_THAT(Error("-5s"), HasSubstr("negative"));
  EXPECT_THAT(Error("5x"), StartsWith("column 2: expected a unit"));
  EXPECT_THAT(Error("1s1m"), StartsWith("column 3: expected units in decreasing order"));
  EXPECT_THAT(Error("1m1m"), StartsWith("column 3: expected units in decreasing order"));
  EXPECT_THAT(Error("1s30"), StartsWith("column 3: expected units in decreasing order"));
  EXPECT_THAT(Error("1ms1s"), StartsWith("column 4: expected units in decreasing order"));
  EXPECT_THAT(Error("1.2.3s"), StartsWith("column 4: expected a unit"));
  EXPECT_THAT(Error("1m "), StartsWith("column 3: expected a number"));
  EXPECT_THAT(Error(" 1m"), StartsWith("column 1: expected a duration"));
  EXPECT_THAT(Error("1h30mx"), StartsWith("column 6: expected a number"));
  EXPECT_THAT(Error("."), StartsWith("column 1: expected a duration"));
  EXPECT_THAT(Error("1e3s"), StartsWith("column 2: expected a unit"));
  EXPECT_THAT(Error("1 s"), StartsWith("column 2: expected a unit"));
}

TEST(ParseDurationDetail, TankMilliseconds) {
  DurationDetail d = ParseDurationDetail("1.005s");
  EXPECT_TRUE(d.error.empty());
  EXPECT_TRUE(d.tank_syntax);
  EXPECT_EQ(d.ns, 1005 * kMs);
  EXPECT_EQ(d.tank_ms, 1004);  // int(1.005 * 1 * 1000) in Python
  EXPECT_EQ(ParseDurationDetail("27h103m645").tank_ms, 104025000);
  EXPECT_EQ(ParseDurationDetail("0.3").tank_ms, 300);
  EXPECT_EQ(ParseDurationDetail("1h30s").tank_ms, 3630000);
  EXPECT_EQ(ParseDurationDetail("2.3h").tank_ms, 8280000);
  EXPECT_FALSE(ParseDurationDetail("500ms").tank_syntax);
  EXPECT_FALSE(ParseDurationDetail("1s500ms").tank_syntax);
  DurationDetail bad = ParseDurationDetail("1h3x");
  EXPECT_EQ(bad.error_offset, 3u);
  EXPECT_THAT(bad.error, StartsWith("expected a unit"));
}

TEST(FormatDuration, Spellings) {
  EXPECT_EQ(FormatDuration(90 * kSec), "1m30s");
  EXPECT_EQ(FormatDuration(1500 * kUs), "1500us");
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(11 * kSec), "11s");
  EXPECT_EQ(FormatDuration(500 * kMs), "500ms");
  EXPECT_EQ(FormatDuration(kDay + kHour), "1d1h");
  EXPECT_EQ(FormatDuration(2 * kSec + 500 * kMs), "2s500ms");
  EXPECT_EQ(FormatDuration(1), "1ns");
  EXPECT_EQ(FormatDuration(-90 * kSec), "-1m30s");
  EXPECT_EQ(FormatDuration(std::numeric_limits<int64_t>::min()), "-106751d23h47m16s854775808ns");
}

TEST(FormatDuration, RoundTrips) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    int64_t ns = static_cast<int64_t>(rng() >> (rng() % 64));
    if (ns < 0) {
      ns = -(ns + 1);
    }
    const std::string text = FormatDuration(ns);
    absl::StatusOr<int64_t> back = ParseDuration(text);
    ASSERT_TRUE(back.ok()) << ns << " → " << text << ": " << back.status();
    ASSERT_EQ(*back, ns) << text;
  }
}

}  // namespace
}  // namespace incarne
