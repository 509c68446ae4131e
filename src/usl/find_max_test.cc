#include "usl/find_max.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "usl/slo.h"

namespace incarne {
namespace {

using ::testing::HasSubstr;

// A target that meets the SLO up to `capacity` rps.
double Search(FindMaxPlan plan, double capacity, int* steps) {
  FindMaxSearch s(plan);
  *steps = 0;
  while (std::optional<double> r = s.Next()) {
    s.Record({*r, *r <= capacity});
    ++*steps;
    EXPECT_LE(*steps, s.MaxSteps());
  }
  return s.best();
}

TEST(FindMax, GrowsThenBisectsToPrecision) {
  FindMaxPlan plan;
  plan.start_rps = 500;
  plan.factor = 2;
  plan.precision = 0.05;
  int steps = 0;
  const double best = Search(plan, 4000, &steps);
  // 500, 1000, 2000, 4000 good; 8000 bad; 6000, 5000, 4500, 4250, 4125 bad (125 ≤ 5 % of 4000).
  EXPECT_EQ(best, 4000);
  EXPECT_EQ(steps, 10);
  const double best2 = Search(plan, 5300, &steps);
  EXPECT_LE(best2, 5300);
  EXPECT_GE(best2, 5300 / 1.05);
}

TEST(FindMax, CapAndDoom) {
  FindMaxPlan plan;
  plan.start_rps = 100;
  plan.max_rps = 1000;
  int steps = 0;
  EXPECT_EQ(Search(plan, 1e9, &steps), 1000);  // 100, 200, 400, 800, 1000
  EXPECT_EQ(steps, 5);
  EXPECT_EQ(Search(plan, 50, &steps), 0);
  EXPECT_EQ(steps, 1);
}

TEST(Slo, ParsesTheThreeForms) {
  absl::StatusOr<Slo> slo = Slo::Parse({"quantile(99,50ms)", "http(5xx,1%)", "net(xx, 10)"});
  ASSERT_TRUE(slo.ok()) << slo.status();
  ASSERT_EQ(slo->predicates().size(), 3u);
  EXPECT_EQ(slo->predicates()[0].limit_ns, 50'000'000u);
  EXPECT_TRUE(slo->predicates()[1].limit_is_share);
  EXPECT_EQ(slo->predicates()[2].limit, 10);
  EXPECT_THAT(Slo::Parse({"http(5xx,1%)", "time(1s,10s)"}).status().message(),
              HasSubstr("slo[1] \"time(1s,10s)\": unknown predicate \"time\""));
  EXPECT_THAT(Slo::Parse({"http(5xx,1%,5s)"}).status().message(),
              HasSubstr("expected two arguments (the windowless form)"));
  EXPECT_THAT(Slo::Parse({"http(5zz,1%)"}).status().message(), HasSubstr("http: expected"));
  EXPECT_THAT(Slo::Parse({"quantile(101,5ms)"}).status().message(), HasSubstr("quantile:"));
  // The shared criteria parser (src/plan/criterion.h) adds the 1-based position of the fault.
  EXPECT_THAT(Slo::Parse({"http(5zz,1%)"}).status().message(),
              HasSubstr("(\"http(5zz,1%)\" at 7: "));
  EXPECT_THAT(Slo::Parse({"quantile(99,5q)"}).status().message(),
              HasSubstr("String contains unsupported unit q"));
  EXPECT_THAT(Slo::Parse({"htp(5xx,1%)"}).status().message(),
              HasSubstr("slo[0] \"htp(5xx,1%)\": unknown predicate \"htp\""));
  EXPECT_THAT(Slo::Parse({"total_http(5xx,1%)"}).status().message(),
              HasSubstr("unknown predicate \"total_http\""));
  // A mask as the criteria read it: 50x is 500-509 only, xx every non-zero code.
  absl::StatusOr<Slo> masks = Slo::Parse({"http(50x,1)", "net(xx,1)"});
  ASSERT_TRUE(masks.ok()) << masks.status();
  EXPECT_TRUE(masks->predicates()[0].criterion.mask.Matches(503));
  EXPECT_FALSE(masks->predicates()[0].criterion.mask.Matches(513));
}

TEST(Slo, JudgesAStep) {
  absl::StatusOr<Slo> slo = Slo::Parse({"quantile(99,50ms)", "http(5xx,1%)", "net(xx,1%)"});
  ASSERT_TRUE(slo.ok());
  StepMeasure m;
  EXPECT_THAT(slo->Judge(m, true).why, HasSubstr("no whole second after the warmup"));
  m.planned = m.sent = 1000;
  m.seconds = 1;
  EXPECT_THAT(slo->Judge(m, false).why, HasSubstr("no hit in the judged seconds"));
  for (int i = 0; i < 1000; ++i) {
    HitRecord r{};
    r.planned = 0;
    r.start = 0;
    r.done = 10'000'000;  // 10 ms
    r.proto_code = i < 5 ? 503 : 200;
    m.stats.Add(r);
  }
  EXPECT_TRUE(slo->Judge(m, true).ok) << slo->Judge(m, true).why;
  for (int i = 0; i < 10; ++i) {
    HitRecord r{};
    r.done = 10'000'000;
    r.proto_code = 502;
    m.stats.Add(r);
  }
  EXPECT_THAT(slo->Judge(m, true).why, HasSubstr("http(5xx,1%): 1.49% of 1010 hits"));
  m.sent = 900;
  EXPECT_THAT(slo->Judge(m, true).why, HasSubstr("sent 90.0% of the planned shots"));
  EXPECT_FALSE(slo->Judge(m, false).ok);  // still the 5xx share
}

}  // namespace
}  // namespace incarne
