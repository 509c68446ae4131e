#include "engine/launcher.h"

#include "gtest/gtest.h"

namespace incarne {
namespace {

TEST(ExpandRunDir, Placeholders) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(ExpandRunDir("runs/{time}", 1700000000, 0, "x.toml"), "runs/2023-11-14_22-13-20");
  EXPECT_EQ(ExpandRunDir("runs/{name}-{shard}", 0, 3, "/a/b/load.toml"), "runs/load-3");
  EXPECT_EQ(ExpandRunDir("plain/{unknown}", 0, 0, "p.toml"), "plain/{unknown}");
}

Schedule Rps(const char* expr) {
  absl::StatusOr<Schedule> s = Schedule::Parse(expr, LoadModel::kRps);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : Schedule();
}

TEST(AutoRingCapacity, FromThePeakRate) {
  // 4 s of the peak rate per worker + instances, a power of two in [2^14, 2^18].
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("const(1200, 60s)"), 1000, 2), 1u << 14);
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("const(50000, 5s)"), 100, 2), 1u << 17);
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("line(1, 50000, 10s)"), 100, 2), 1u << 17);
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("step(100, 30000, 1000, 5s)"), 100, 1),
            1u << 17);
  // The peak counts wherever it is, not the first step.
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("const(10, 5s) const(20000, 5s)"), 10, 1),
            1u << 17);
  // A `once` burst all at one instant must fit with the rest.
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("once(100000)"), 10, 1), 1u << 17);
  // Capped, and with more workers each needs less.
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("const(1000000, 5s)"), 100, 2), 1u << 18);
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("const(50000, 5s)"), 100, 8), 1u << 15);
  // No rate bound: the maximum.
  EXPECT_EQ(AutoRingCapacity(LoadModel::kInstances, Schedule(), 100, 2), 1u << 18);
  EXPECT_EQ(AutoRingCapacity(LoadModel::kStpd, Schedule(), 100, 2), 1u << 18);
}

}  // namespace
}  // namespace incarne
