#include "plan/schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace incarne {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kMs = 1000000;
constexpr int64_t kSec = 1000000000;

Schedule Must(std::string_view expr, LoadModel model = LoadModel::kRps) {
  absl::StatusOr<Schedule> s = Schedule::Parse(expr, model);
  EXPECT_TRUE(s.ok()) << expr << ": " << s.status();
  return s.ok() ? *std::move(s) : Schedule();
}

std::vector<int64_t> Ms(const Schedule& s, uint64_t limit = 1000000) {
  std::vector<int64_t> out;
  for (uint64_t i = 0; i < s.shots() && i < limit; ++i) {
    out.push_back(s.ShotMs(i));
  }
  return out;
}

std::vector<int64_t> Ms(std::string_view expr, LoadModel model = LoadModel::kRps) {
  return Ms(Must(expr, model));
}

std::string Error(std::string_view expr, LoadModel model = LoadModel::kRps) {
  absl::StatusOr<Schedule> s = Schedule::Parse(expr, model);
  EXPECT_FALSE(s.ok()) << expr << " parsed";
  if (s.ok()) {
    return "";
  }
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

// Rates per second, counted from the shots, for schedules made of whole-second levels.
std::vector<int> PerSecond(const Schedule& s) {
  std::vector<int> out(static_cast<size_t>(s.duration_ns() / kSec), 0);
  for (uint64_t i = 0; i < s.shots(); ++i) {
    out.at(static_cast<size_t>(s.ShotNs(i) / kSec))++;
  }
  return out;
}

// ---- the check vectors --------------------------------------------------------------

TEST(Schedule, LineUp) {
  EXPECT_EQ(Ms("line(1,5,2s)"), (std::vector<int64_t>{0, 618, 1000, 1302, 1561, 1791}));
}

TEST(Schedule, LineDown) {
  EXPECT_EQ(Ms("line(5,1,2s)"), (std::vector<int64_t>{0, 208, 438, 697, 1000, 1381}));
}

TEST(Schedule, ConstFractionalDuration) {
  EXPECT_EQ(Ms("const(3,1.5s)"), (std::vector<int64_t>{0, 333, 666, 1000}));
}

TEST(Schedule, StepUpRates) {
  Schedule s = Must("step(1,10,4,1s)");
  EXPECT_EQ(PerSecond(s), (std::vector<int>{1, 5, 9, 10}));
  EXPECT_EQ(s.duration_ns(), 4 * kSec);
}

TEST(Schedule, LineFromZero) {
  Schedule s = Must("line(0,10,3s)");
  EXPECT_EQ(s.shots(), 15u);
  EXPECT_EQ(Ms(s, 3), (std::vector<int64_t>{0, 774, 1095}));
}

TEST(Schedule, ConstFractionalRate) {
  EXPECT_EQ(Ms(Must("const(1.5,10s)"), 5), (std::vector<int64_t>{0, 666, 1333, 2000, 2666}));
  EXPECT_EQ(Must("const(1.5,10s)").shots(), 15u);
}

TEST(Schedule, StepDownBareSeconds) {
  Schedule s = Must("step(25,5,5,60)");
  EXPECT_EQ(s.duration_ns(), 300 * kSec);
  std::vector<int> per_second = PerSecond(s);
  ASSERT_EQ(per_second.size(), 300u);
  for (int level = 0; level < 5; ++level) {
    for (int sec = 0; sec < 60; ++sec) {
      ASSERT_EQ(per_second[static_cast<size_t>(level * 60 + sec)], 25 - 5 * level);
    }
  }
}

TEST(Schedule, InstancesLine) {
  EXPECT_EQ(Ms("line(1,9,4s)", LoadModel::kInstances),
            (std::vector<int64_t>{0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000}));
}

TEST(Schedule, InstancesStep) {
  Schedule s = Must("step(2,10,2,3s)", LoadModel::kInstances);
  EXPECT_EQ(Ms(s), (std::vector<int64_t>{0, 0, 3000, 3000, 6000, 6000, 9000, 9000, 12000, 12000}));
  EXPECT_EQ(s.duration_ns(), 15 * kSec);
}

// ---- more of Tank's own test expectations (test_load_plan.py, test_instance_plan.py) ------

TEST(Schedule, TankCreateVectors) {
  EXPECT_EQ(Ms("line(1.1, 5.8, 2s)"), (std::vector<int64_t>{0, 566, 917, 1196, 1435, 1647}));
  EXPECT_EQ(Ms("const(200, 0.1s)"), (std::vector<int64_t>{0,  5,  10, 15, 20, 25, 30, 35, 40, 45,
                                                          50, 55, 60, 65, 70, 75, 80, 85, 90, 95}));
  EXPECT_EQ(Ms("const(1, 2s) const(2, 2s)"),
            (std::vector<int64_t>{0, 1000, 2000, 2500, 3000, 3500}));
  EXPECT_EQ(Ms(Must("step(1, 5, 1, 5s)"), 10),
            (std::vector<int64_t>{0, 1000, 2000, 3000, 4000, 5000, 5500, 6000, 6500, 7000}));
  EXPECT_EQ(Ms(Must("step(1.2, 5.7, 1.1, 5s)"), 10),
            (std::vector<int64_t>{0, 833, 1666, 2500, 3333, 4166, 5000, 5434, 5869, 6304}));
  EXPECT_EQ(Ms("const(1, 1)"), (std::vector<int64_t>{0}));
}

TEST(Schedule, TankInstancesVectors) {
  const LoadModel in = LoadModel::kInstances;
  EXPECT_EQ(Ms("ramp(5, 4s)", in), (std::vector<int64_t>{0, 1000, 2000, 3000, 4000}));
  EXPECT_EQ(Ms("ramp(5, 4s) wait(5s) ramp(5,4s)", in),
            (std::vector<int64_t>{0, 1000, 2000, 3000, 4000, 9000, 10000, 11000, 12000, 13000}));
  EXPECT_EQ(Ms("wait(5s) ramp(5, 0)", in), (std::vector<int64_t>{5000, 5000, 5000, 5000, 5000}));
  EXPECT_EQ(Ms("const(3, 5s) line(7, 11, 2s)", in),
            (std::vector<int64_t>{0, 0, 0, 5000, 5000, 5000, 5000, 5500, 6000, 6500, 7000}));
  EXPECT_EQ(Must("step(100, 950, 100, 30s)", in).shots(), 950u);
  EXPECT_EQ(Must("const(3, 1s) line(5, 10, 5s)", in).shots(), 10u);
  EXPECT_EQ(Must("line(1, 100, 60s)", in).shots(), 100u);
}

TEST(Schedule, TankLineLengths) {
  // test_load_plan.py TestLineNew.test_iter: (min, max, ms, len, threshold, len ≥ threshold).
  struct Case {
    const char* expr;
    uint64_t len;
    int64_t threshold_ms;
    uint64_t above;
  };
  const Case cases[] = {
      {"line(2, 12, 25s)", 175, 5000, 160},
      {"line(2, 12, 25s)", 175, 10000, 135},
      {"line(2, 12, 25s)", 175, 15000, 100},
      {"line(2, 12, 25s)", 175, 20000, 55},
      {"line(0, 10, 25s)", 125, 15000, 80},
      {"line(10, 12, 20s)", 220, 10000, 115},
      {"line(10, 10, 20s)", 200, 10000, 100},
      {"line(10, 0, 25s)", 125, 10000, 45},
      {"line(10, 0, 25s)", 125, 15000, 20},
      {"step(0, 1000, 50, 3s)", 31500, 9000, 31050},
      {"step(0, 1000, 50, 3s)", 31500, 15000, 30000},
      {"step(0, 1000, 50, 3s)", 31500, 45000, 15750},
  };
  for (const Case& c : cases) {
    Schedule s = Must(c.expr);
    ASSERT_EQ(s.shots(), c.len) << c.expr;
    uint64_t above = 0;
    for (int64_t ms : Ms(s)) {
      above += ms >= c.threshold_ms ? 1 : 0;
    }
    EXPECT_EQ(above, c.above) << c.expr << " ≥ " << c.threshold_ms;
  }
}

// ---- Tank's timeline quirks we keep -----------------------------------------------------------

TEST(Schedule, LineSpanIsTanksIntOfFloatSeconds) {
  // Tank: Line.get_duration() = int(D/1000.0 * 1000): 1001 ms counts as 1000 in the offsets.
  Schedule s = Must("line(1, 10, 1.001s) const(1, 1s)");
  EXPECT_EQ(s.duration_ns(), 2000 * kMs);
  EXPECT_EQ(s.ShotMs(s.shots() - 1), 1000);
  EXPECT_EQ(s.steps()[1].d_ns, 1000 * kMs);
}

TEST(Schedule, TankSyntaxDurationsAreConvertedLikeTank) {
  // float("1.005") * 1 * 1000 = 1004.9999999999999 → 1004 ms in Tank.
  EXPECT_EQ(Must("const(1, 1.005s)").duration_ns(), 1004 * kMs);
  EXPECT_EQ(Must("const(1, 1.005)").duration_ns(), 1004 * kMs);
  // Units Tank does not know are exact: 1005ms is 1005 ms.
  EXPECT_EQ(Must("const(1, 1005ms)").duration_ns(), 1005 * kMs);
  EXPECT_EQ(Must("const(1, 27h103m645)").duration_ns(), 104025000 * kMs);
  EXPECT_EQ(Must("const(1, 1m30)").duration_ns(), 90 * kSec);
}

TEST(Schedule, ConstCountIsTanksGenerator) {
  // Tank's generator makes int(R·D/1000) shots: int(84.6·195000/1000) = 16496; its __len__
  // (the published ammo count) would say int(195000/1000·84.6) = 16497. The stpd has 16496.
  EXPECT_EQ(Must("const(84.6, 195s)").shots(), 16496u);
  EXPECT_EQ(Must("const(50, 79.32s)").shots(), 3966u);
}

TEST(Schedule, EachStepFloorsItsOwnCount) {
  // 0.5 + 0.5 shots: Tank floors each step, no carry-over.
  EXPECT_EQ(Must("const(0.5, 1s) const(0.5, 1s)").shots(), 0u);
  EXPECT_EQ(Must("const(0.3, 10s)").shots(), 3u);
}

// ---- extras and deviations (docs/schedule.md) ------------------------------------------------

TEST(Schedule, OnceAndPause) {
  Schedule s = Must("once(3) pause(1.5s) const(2, 1s) once(1)");
  EXPECT_EQ(Ms(s), (std::vector<int64_t>{0, 0, 0, 1500, 2000, 2500}));
  EXPECT_EQ(s.duration_ns(), 2500 * kMs);
  EXPECT_EQ(Must("pause(10s)").shots(), 0u);
  EXPECT_EQ(Must("once(0)").shots(), 0u);
}

TEST(Schedule, MillisecondUnitsAccepted) {
  Schedule s = Must("const(10, 500ms)");  // Tank crashes on this
  EXPECT_EQ(Ms(s), (std::vector<int64_t>{0, 100, 200, 300, 400}));
  EXPECT_EQ(Must("line(1, 10, 1s500ms)").duration_ns(), 1500 * kMs);
}

TEST(Schedule, SubMillisecondStepDurationsRejected) {
  EXPECT_THAT(Error("const(10, 1500us)"), StartsWith("column 11: expected a duration of whole"));
}

TEST(Schedule, LenientSpacing) {
  EXPECT_EQ(Ms("line(1, 10, 10m )"), Ms("line(1,10,10m)"));
  EXPECT_EQ(Ms("  line ( 1 ,5 , 2s )\n\tconst(5,1s)const( 2 , 1s )  "),
            Ms("line(1,5,2s) const(5,1s) const(2,1s)"));
}

TEST(Schedule, InstancesLineFromCurrentCount) {
  // Tank fails (start(−1)); here the line passes through (t0, 5) and (t0 + 5s, 10).
  Schedule s = Must("const(5, 10s) line(5, 10, 5s)", LoadModel::kInstances);
  EXPECT_EQ(Ms(s), (std::vector<int64_t>{0, 0, 0, 0, 0, 11000, 12000, 13000, 14000, 15000}));
  EXPECT_EQ(Ms("line(0, 2, 2s)", LoadModel::kInstances), (std::vector<int64_t>{1000, 2000}));
}

TEST(Schedule, InstancesRampOfOne) {
  // Tank: ZeroDivisionError. Here: the single instance starts at the ramp's start.
  Schedule s = Must("const(2, 1s) line(3, 3, 4s) const(3, 1s)", LoadModel::kInstances);
  EXPECT_EQ(Ms(s), (std::vector<int64_t>{0, 0, 1000}));
  EXPECT_EQ(s.duration_ns(), 6 * kSec);
  EXPECT_EQ(Ms("ramp(1, 3s) ramp(1, 3s)", LoadModel::kInstances), (std::vector<int64_t>{0, 3000}));
}

TEST(Schedule, InstancesFullDuration) {
  // Tank's instances regex keeps only the last component (1m30s → 30s); we do not.
  EXPECT_EQ(Must("const(3, 1m30s)", LoadModel::kInstances).duration_ns(), 90 * kSec);
}

TEST(Schedule, InstancesOnceAndPause) {
  EXPECT_EQ(Ms("once(2) pause(1s) once(1) start(1) wait(2s) const(5, 1s)", LoadModel::kInstances),
            (std::vector<int64_t>{0, 0, 1000, 1000, 3000}));
}

TEST(Schedule, InstancesAt) {
  Schedule s = Must("line(1,9,4s)", LoadModel::kInstances);
  EXPECT_EQ(s.InstancesAt(-1), 0u);
  EXPECT_EQ(s.InstancesAt(0), 1u);
  EXPECT_EQ(s.InstancesAt(499 * kMs), 1u);
  EXPECT_EQ(s.InstancesAt(500 * kMs), 2u);
  EXPECT_EQ(s.InstancesAt(3999 * kMs), 8u);
  EXPECT_EQ(s.InstancesAt(4000 * kMs), 9u);
  EXPECT_EQ(s.InstancesAt(INT64_MAX), 9u);
  Schedule st = Must("step(2,10,2,3s)", LoadModel::kInstances);
  EXPECT_EQ(st.InstancesAt(2999 * kMs), 2u);
  EXPECT_EQ(st.InstancesAt(3000 * kMs), 4u);
  EXPECT_EQ(st.InstancesAt(100 * kSec), 10u);
  // rps model: shots due by t.
  Schedule r = Must("const(10, 10s)");
  EXPECT_EQ(r.InstancesAt(0), 1u);
  EXPECT_EQ(r.InstancesAt(100 * kMs - 1), 1u);
  EXPECT_EQ(r.InstancesAt(100 * kMs), 2u);
  EXPECT_EQ(r.InstancesAt(10 * kSec), 100u);
}

TEST(Schedule, InstancesAtMatchesLinearScan) {
  for (const char* expr :
       {"const(3, 1s) line(5, 40, 7.3s) step(45, 100, 7, 2s) ramp(13, 0)", "line(1, 1000, 1s)"}) {
    Schedule s = Must(expr, LoadModel::kInstances);
    for (int64_t t = -kMs; t <= s.duration_ns() + kMs; t += 997 * 1000 + 13) {
      uint64_t expected = 0;
      for (uint64_t i = 0; i < s.shots(); ++i) {
        expected += s.ShotNs(i) <= t ? 1 : 0;
      }
      ASSERT_EQ(s.InstancesAt(t), expected) << expr << " t=" << t;
    }
  }
}

// ---- nanoseconds ---------------------------------------------------------------------------

TEST(Schedule, NanosecondsAreExactTimes) {
  Schedule c = Must("const(3, 1.5s)");
  EXPECT_EQ(c.ShotNs(0), 0);
  EXPECT_EQ(c.ShotNs(1), 333333333);
  EXPECT_EQ(c.ShotNs(2), 666666666);
  EXPECT_EQ(c.ShotNs(3), 1000000000);
  // line(1,5,2s): k = 2, τ_i = (√(1 + 4i) − 1) / 2 seconds.
  Schedule l = Must("line(1,5,2s)");
  for (uint64_t i = 0; i < l.shots(); ++i) {
    const long double tau = (std::sqrt(1.0L + 4.0L * i) - 1.0L) / 2.0L * 1e9L;
    EXPECT_NEAR(static_cast<double>(l.ShotNs(i)), static_cast<double>(tau), 1.0) << i;
  }
  // Decreasing: line(5,1,2s), k = −2: τ_i = (5 − √(25 − 4i)) / 2.
  Schedule d = Must("line(5,1,2s)");
  for (uint64_t i = 0; i < d.shots(); ++i) {
    const long double tau = (5.0L - std::sqrt(25.0L - 4.0L * i)) / 2.0L * 1e9L;
    EXPECT_NEAR(static_cast<double>(d.ShotNs(i)), static_cast<double>(tau), 1.0) << i;
  }
  // Composite offsets are Tank's whole milliseconds.
  Schedule comp = Must("const(3, 1s) const(3, 1s)");
  EXPECT_EQ(comp.ShotNs(4), 1333333333);
  // instances ramp: exact fractions of the duration.
  Schedule r = Must("ramp(4, 1s)", LoadModel::kInstances);
  EXPECT_EQ(r.ShotNs(1), 333333333);
  EXPECT_EQ(r.ShotNs(2), 666666666);
}

TEST(Schedule, SlowLineKeepsPrecision) {
  // Tank's root (−A + √(A² + 2ki)) / k cancels badly for a tiny slope; ours does not.
  Schedule s = Must("line(1000, 1001, 10m)");
  for (uint64_t i : {uint64_t{1}, uint64_t{12345}, s.shots() - 1}) {
    const long double A = 1000, k = 1.0L / 600;
    const long double tau = 2.0L * i / (A + std::sqrt(A * A + 2.0L * k * i)) * 1e9L;
    EXPECT_NEAR(static_cast<double>(s.ShotNs(i)), static_cast<double>(tau), 2.0) << i;
  }
}

// ---- laziness, limits, properties ---------------------------------------------------------

TEST(Schedule, HugeScheduleIsLazy) {
  // 1.8·10^10 shots: parsed at once, nothing per shot.
  Schedule s = Must("line(1, 1000000, 10h)");
  EXPECT_EQ(s.shots(), 18000018000u);
  EXPECT_EQ(s.duration_ns(), 36000 * kSec);
  const uint64_t last = s.shots() - 1;
  EXPECT_LT(s.ShotNs(last), 36000 * kSec);
  EXPECT_GT(s.ShotNs(last), 35999 * kSec);
  EXPECT_LE(s.ShotNs(last - 1), s.ShotNs(last));
  EXPECT_EQ(s.InstancesAt(s.duration_ns()), s.shots());
}

TEST(Schedule, CompositeCountsMatchClosedForms) {
  struct Case {
    const char* expr;
    uint64_t shots;
    int64_t seconds;
  };
  // const: R·D; line: (A + B)/2·D (integral here); step: Σ levels · D.
  const Case cases[] = {
      {"const(1000, 10h)", 36000000, 36000},
      {"line(1, 1000, 10h)", 18018000, 36000},
      {"step(100, 1000, 100, 1h)", 3600 * 5500, 36000},
      {"line(0, 10, 20s) const(10, 10s)", 200, 30},
      {"line(0, 10, 20s) line(10, 0, 20s)", 200, 40},
      {"const(5, 10s) const(10, 5s)", 100, 15},
      {"line(1, 1000, 10h) const(1000, 10h) step(1000, 100, 100, 1h) pause(1h) once(7)",
       18018000 + 36000000 + 3600 * 5500 + 7, 36000 * 3 + 3600},
      {"step(0, 1000, 50, 3s)", 31500, 63},
  };
  for (const Case& c : cases) {
    Schedule s = Must(c.expr);
    EXPECT_EQ(s.shots(), c.shots) << c.expr;
    EXPECT_EQ(s.duration_ns(), c.seconds * kSec) << c.expr;
    EXPECT_LE(s.ShotNs(s.shots() - 1), s.duration_ns()) << c.expr;
    EXPECT_EQ(s.InstancesAt(s.duration_ns()), s.shots()) << c.expr;
  }
}

TEST(Schedule, MonotonicAndTruncatesToTank) {
  for (const char* expr :
       {"line(0.1, 3000, 1m) const(2999.9, 7.3s) line(3000, 1.5, 33.333s) step(1, 77, 3.3, 1.1s)",
        "const(999.999, 1m) line(1, 100000, 10s)"}) {
    Schedule s = Must(expr);
    int64_t prev = 0;
    for (uint64_t i = 0; i < s.shots(); ++i) {
      const int64_t ns = s.ShotNs(i);
      ASSERT_EQ(ns / kMs, s.ShotMs(i)) << expr << " shot " << i;
      ASSERT_GE(ns, prev) << expr << " shot " << i;
      prev = ns;
    }
  }
}

// The worker's batch (ShotsNs) is ShotNs shot for shot: every kind of segment, fractional
// rates, batches that start, end and stride across segment boundaries.
TEST(Schedule, BatchEqualsShotNs) {
  struct Case {
    const char* expr;
    LoadModel model;
  };
  const Case cases[] = {
      {"line(0.1, 3000, 1m) const(2999.9, 7.3s) line(3000, 1.5, 33.333s) step(1, 77, 3.3, 1.1s)",
       LoadModel::kRps},
      {"const(999.999, 1m) line(1, 100000, 10s) once(3) pause(1.5s) const(0.7, 10s)",
       LoadModel::kRps},
      {"line(1.5, 2.5, 100s) line(7, 0.3, 20s) const(33.3333, 3s) step(0.5, 40, 1.7, 0.9s)",
       LoadModel::kRps},
      {"line(0, 10, 20s) line(10, 0, 20s) const(2000000, 0.1s)", LoadModel::kRps},
      {"line(1, 10, 10s) const(10, 5s) step(10, 20, 3, 2s) once(5) ramp(7, 3.3s)",
       LoadModel::kInstances},
  };
  std::vector<int64_t> got;
  for (const Case& c : cases) {
    Schedule s = Must(c.expr, c.model);
    const uint64_t n = s.shots();
    ASSERT_GT(n, 20u) << c.expr;
    std::vector<int64_t> want(n);
    for (uint64_t i = 0; i < n; ++i) {
      want[i] = s.ShotNs(i);
    }
    for (uint64_t stride : {1, 2, 3, 7, 64, 1001}) {
      for (uint64_t first = 0; first < stride && first < n; first += (stride + 2) / 3) {
        for (size_t batch : {1, 5, 64, 4096}) {
          for (uint64_t i = first; i < n; i += stride * batch) {
            const size_t left = static_cast<size_t>((n - 1 - i) / stride + 1);
            const size_t m = std::min(batch, left);
            got.assign(m, -1);
            s.ShotsNs(i, stride, m, got.data());
            for (size_t q = 0; q < m; ++q) {
              ASSERT_EQ(got[q], want[i + stride * q])
                  << c.expr << " shot " << i + stride * q << " (batch from " << i << ", stride "
                  << stride << ")";
            }
          }
        }
      }
    }
  }
}

TEST(Schedule, SlicesPartitionTheSchedule) {
  Schedule s = Must("line(1, 50, 3s) once(5) const(17, 2s)");
  const uint64_t n = s.shots();
  ASSERT_GT(n, 100u);
  for (uint32_t shards = 1; shards <= 3; ++shards) {
    for (uint32_t workers = 1; workers <= 5; ++workers) {
      std::vector<int> seen(n, 0);
      for (uint32_t k = 0; k < shards; ++k) {
        for (uint32_t w = 0; w < workers; ++w) {
          const ShotSlice slice = ShotSlice::For(k, shards, w, workers);
          EXPECT_EQ(slice.stride, uint64_t{shards} * workers);
          for (uint64_t i = slice.first; i < n; i += slice.stride) {
            seen[i]++;
            // Shard K fires i ≡ K (mod N); worker w of W fires every W-th of those.
            ASSERT_EQ(i % shards, k);
            ASSERT_EQ((i / shards) % workers, w);
          }
        }
      }
      for (uint64_t i = 0; i < n; ++i) {
        ASSERT_EQ(seen[i], 1) << "shot " << i << " shards " << shards << " workers " << workers;
      }
    }
  }
}

// ---- errors ------------------------------------------------------------------------------------

TEST(ScheduleErrors, NameTheColumn) {
  EXPECT_THAT(Error("line(1,10"), StartsWith("column 10: expected ','"));
  EXPECT_THAT(Error("line(1,10"), HasSubstr("ended"));
  EXPECT_THAT(Error("const(10,5s"), StartsWith("column 12: expected ')'"));
  EXPECT_THAT(Error("const(10, 5s) foo(1)"), StartsWith("column 15: expected a step"));
  EXPECT_THAT(Error("const(10, 5s) foo(1)"), HasSubstr("'foo'"));
  EXPECT_THAT(Error("const(10, 5x)"), StartsWith("column 12: expected a unit"));
  EXPECT_THAT(Error("const(10, )"), StartsWith("column 11: expected a duration"));
  EXPECT_THAT(Error("const 10, 5s)"), StartsWith("column 7: expected '('"));
  EXPECT_THAT(Error("const(10, 5s, 3)"), StartsWith("column 13: expected ')' closing const"));
  EXPECT_THAT(Error("line(a, 1, 1s)"), StartsWith("column 6: expected from"));
  EXPECT_THAT(Error(""), StartsWith("column 1: expected a step"));
  EXPECT_THAT(Error("   \n "), StartsWith("column 6: expected a step"));
  EXPECT_THAT(Error("const(1.2.3, 1s)"), StartsWith("column 10: expected ','"));
  EXPECT_THAT(Error("once(2.5)"), StartsWith("column 6: expected count"));
  EXPECT_THAT(Error("ramp(5, 1s)"), HasSubstr("only in the instances model"));
}

TEST(ScheduleErrors, NegativeNumbersRejected) {
  // Tank's unanchored regex silently reads line(-1,10,10s) as line(1,10,10s).
  EXPECT_THAT(Error("line(-1,10,10s)"), StartsWith("column 6: expected from"));
  EXPECT_THAT(Error("line(-1,10,10s)"), HasSubstr("negative"));
  EXPECT_THAT(Error("const(1, -5s)"), StartsWith("column 10:"));
  EXPECT_THAT(Error("const(1, -5s)"), HasSubstr("negative"));
}

TEST(ScheduleErrors, Instances) {
  const LoadModel in = LoadModel::kInstances;
  EXPECT_THAT(Error("const(5, 10s) const(3, 1s)", in),
              StartsWith("column 15: can not stop instances"));
  EXPECT_THAT(Error("line(10, 5, 1s)", in), HasSubstr("can not stop instances"));
  EXPECT_THAT(Error("const(20, 1s) line(10, 30, 1s)", in), HasSubstr("can not stop instances"));
  EXPECT_THAT(Error("step(5, 1, 1, 1s)", in), HasSubstr("can not stop instances"));
  EXPECT_THAT(Error("step(1, 5, 0, 1s)", in), HasSubstr("step size above 0"));
  EXPECT_THAT(Error("const(2.5, 1s)", in), HasSubstr("fractions are not allowed"));
}

TEST(ScheduleErrors, AbsurdSchedulesRejectedQuickly) {
  EXPECT_THAT(Error("const(1e18, 1e18)"), StartsWith("column 8: expected ','"));
  EXPECT_THAT(Error("const(1000000000000000000, 1000000000000000000)"),
              StartsWith("column 28: expected a smaller duration"));
  EXPECT_THAT(Error("const(1000000000000000000, 1000s)"), HasSubstr("at most 2^40 shots"));
  EXPECT_THAT(Error("line(1, 1000000000000, 10h)"), HasSubstr("at most 2^40 shots"));
  EXPECT_THAT(Error("step(1, 1000000000, 1, 1s)"), HasSubstr("levels"));
  EXPECT_THAT(Error("step(1, 10, 0, 1s)"), HasSubstr("step size above 0"));
  EXPECT_THAT(Error("pause(40000d)"), HasSubstr("100 years"));
  EXPECT_THAT(Error("const(1" + std::string(400, '0') + ", 1s)"), HasSubstr("too large"));
  EXPECT_THAT(Error("once(1099511627777)"), HasSubstr("2^40"));
  // Many levels over the whole schedule.
  std::string many;
  for (int i = 0; i < 11; ++i) {
    many += "step(1, 10000, 1, 1ms) ";
  }
  EXPECT_THAT(Error(many), HasSubstr("levels"));
}

TEST(ScheduleErrors, ModelMustBeSchedulable) {
  EXPECT_FALSE(Schedule::Parse("const(1, 1s)", LoadModel::kStpd).ok());
}

// ---- summary -------------------------------------------------------------------------------

TEST(Schedule, SummaryJson) {
  EXPECT_EQ(Must("line(1,5,2s) step(1, 10, 4, 1s)").SummaryJson(),
            "{\"model\":\"rps\",\"shots\":31,\"duration_ns\":6000000000,\"steps\":["
            "{\"kind\":\"line\",\"text\":\"line(1,5,2s)\",\"args\":{\"from\":1,\"to\":5,"
            "\"duration_ns\":2000000000},\"shots\":6,\"start_ns\":0,\"duration_ns\":2000000000},"
            "{\"kind\":\"step\",\"text\":\"step(1, 10, 4, 1s)\",\"args\":{\"from\":1,\"to\":10,"
            "\"step\":4,\"duration_ns\":1000000000},\"shots\":25,\"start_ns\":2000000000,"
            "\"duration_ns\":4000000000,\"levels\":4}]}");
  EXPECT_EQ(Must("const(2.5,\n1s) once(3)").SummaryJson(),
            "{\"model\":\"rps\",\"shots\":5,\"duration_ns\":1000000000,\"steps\":["
            "{\"kind\":\"const\",\"text\":\"const(2.5,\\n1s)\",\"args\":{\"rate\":2.5,"
            "\"duration_ns\":1000000000},\"shots\":2,\"start_ns\":0,\"duration_ns\":1000000000},"
            "{\"kind\":\"once\",\"text\":\"once(3)\",\"args\":{\"count\":3},\"shots\":3,"
            "\"start_ns\":1000000000,\"duration_ns\":0}]}");
  EXPECT_EQ(Must("const(3, 1s) ramp(2, 1s)", LoadModel::kInstances).SummaryJson(),
            "{\"model\":\"instances\",\"shots\":5,\"duration_ns\":2000000000,\"steps\":["
            "{\"kind\":\"const\",\"text\":\"const(3, 1s)\",\"args\":{\"instances\":3,"
            "\"duration_ns\":1000000000},\"shots\":3,\"start_ns\":0,\"duration_ns\":1000000000,"
            "\"instances\":3},"
            "{\"kind\":\"ramp\",\"text\":\"ramp(2, 1s)\",\"args\":{\"from\":4,\"to\":5,"
            "\"duration_ns\":1000000000},\"shots\":2,\"start_ns\":1000000000,"
            "\"duration_ns\":1000000000,\"instances\":5}]}");
}

TEST(Schedule, SummaryNumbers) {
  EXPECT_THAT(Must("line(0.5, 1000000, 10s)").SummaryJson(),
              HasSubstr("\"args\":{\"from\":0.5,\"to\":1000000,"));
}

TEST(Schedule, StepsDescribeWhatWasWritten) {
  Schedule s = Must("line(1, 5, 2s)\nstep(25,5,5,60) once(4) pause(1m)");
  ASSERT_EQ(s.steps().size(), 4u);
  EXPECT_EQ(s.steps()[0].kind, ScheduleStep::Kind::kLine);
  EXPECT_EQ(s.steps()[0].text, "line(1, 5, 2s)");
  EXPECT_EQ(s.steps()[1].kind, ScheduleStep::Kind::kStep);
  EXPECT_EQ(s.steps()[1].s, 5);
  EXPECT_EQ(s.steps()[1].d_ns, 60 * kSec);
  EXPECT_EQ(s.steps()[2].kind, ScheduleStep::Kind::kOnce);
  EXPECT_EQ(s.steps()[2].a, 4);
  EXPECT_EQ(s.steps()[3].kind, ScheduleStep::Kind::kPause);
  EXPECT_EQ(s.steps()[3].d_ns, 60 * kSec);
}

TEST(Schedule, DefaultIsEmpty) {
  Schedule s;
  EXPECT_EQ(s.shots(), 0u);
  EXPECT_EQ(s.duration_ns(), 0);
  EXPECT_EQ(s.InstancesAt(INT64_MAX), 0u);
  EXPECT_EQ(s.model(), LoadModel::kRps);
}

}  // namespace
}  // namespace incarne
