#include "sink/capacity.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace incarne {
namespace {

using ::testing::HasSubstr;

TEST(SinkService, CapacityQueuesBeyondTheServers) {
  SinkService s({.servers = 8, .service_ns = 2'000'000});
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(s.ArriveNs(0), 2'000'000) << i;  // a free server each
  }
  EXPECT_EQ(s.ArriveNs(0), 4'000'000);          // waits for the first to finish
  EXPECT_EQ(s.ArriveNs(1'000'000), 3'000'000);  // the second one, from t = 1 ms
  // Sustained: 4,000 arrivals per second are served with no queue; 4,400 queue up.
  SinkService even({.servers = 8, .service_ns = 2'000'000});
  int64_t worst = 0;
  for (int i = 0; i < 4000; ++i) {
    worst = std::max(worst, even.ArriveNs(i * 250'000));
  }
  EXPECT_EQ(worst, 2'000'000);
  SinkService over({.servers = 8, .service_ns = 2'000'000});
  for (int i = 0; i < 4400; ++i) {
    worst = std::max(worst, over.ArriveNs(i * 227'272));
  }
  EXPECT_GT(worst, 90'000'000);  // 400 requests behind after 1 s: ~100 ms
}

TEST(SinkService, UslStretchesTheServiceTime) {
  SinkService s({.service_ns = 10'000'000, .usl = true, .sigma = 0.05, .kappa = 0.002});
  EXPECT_EQ(s.ArriveNs(0), 10'000'000);  // c = 1
  EXPECT_EQ(s.ArriveNs(0), 10'540'000);  // c = 2: 1 + 0.05 + 0.004
  s.Depart();
  s.Depart();
  EXPECT_EQ(s.ArriveNs(0), 10'000'000);  // alone again
}

TEST(SinkService, Options) {
  EXPECT_TRUE(CheckSinkCapacity({}).ok());
  EXPECT_THAT(CheckSinkCapacity({.servers = 8}).message(), HasSubstr("need --service"));
  EXPECT_THAT(CheckSinkCapacity({.service_ns = 5}).message(), HasSubstr("--service needs"));
  EXPECT_THAT(CheckSinkCapacity({.servers = 2, .service_ns = 5, .usl = true}).message(),
              HasSubstr("use one"));
  EXPECT_THAT(CheckSinkCapacity({.service_ns = 5, .usl = true, .sigma = 2}).message(),
              HasSubstr("[0, 1]"));
}

}  // namespace
}  // namespace incarne
