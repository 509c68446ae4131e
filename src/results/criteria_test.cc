// Autostop criteria: Tank's syntax and errors (src/plan/criterion.h) and Tank's window
// semantics (src/results/criteria.h), second by second, as Tank's plugins/Autostop computes
// them.
#include "results/criteria.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace incarne {
namespace {

constexpr uint64_t kMs = 1000 * 1000;

Criterion Parse(std::string_view text, bool window = true) {
  absl::StatusOr<Criterion> c = ParseCriterion(text, window);
  EXPECT_TRUE(c.ok()) << text << ": " << c.status().message();
  return c.ok() ? *c : Criterion{};
}

std::string ParseError(std::string_view text, bool window = true) {
  absl::StatusOr<Criterion> c = ParseCriterion(text, window);
  EXPECT_FALSE(c.ok()) << text;
  return c.ok() ? std::string() : std::string(c.status().message());
}

// One hit of the second: service time (done − start) `ms`, the codes given.
HitRecord Hit(uint64_t ms, uint16_t proto, uint16_t net = 0, uint16_t tag = 0) {
  HitRecord r{};
  r.planned = r.start = r.connected = r.sent = 1;
  r.first_byte = r.done = 1 + ms * kMs;
  r.proto_code = proto;
  r.net_code = net;
  r.tag = tag;
  return r;
}

// A second with `n` hits of each (ms, proto, net) kind.
struct Kind {
  uint64_t n;
  uint64_t ms;
  uint16_t proto;
  uint16_t net = 0;
};
SecondStats Second(int64_t sec, std::vector<Kind> kinds, uint64_t inflight = 0) {
  SecondStats s;
  s.second = sec;
  s.inflight_max = inflight;
  for (const Kind& k : kinds) {
    for (uint64_t i = 0; i < k.n; ++i) {
      s.overall.Add(Hit(k.ms, k.proto, k.net));
    }
  }
  return s;
}

// Feeds the seconds; returns the second that fired (−1: none) and the verdict.
int64_t Feed(Autostop* as, const std::vector<SecondStats>& seconds,
             AutostopVerdict* out = nullptr) {
  for (const SecondStats& s : seconds) {
    if (const AutostopVerdict* v = as->Observe(s)) {
      if (out != nullptr) {
        *out = *v;
      }
      return s.second;
    }
  }
  return -1;
}

Autostop Make(std::vector<std::string_view> texts, uint64_t instances = 1000) {
  std::vector<Criterion> cs;
  for (std::string_view t : texts) {
    cs.push_back(Parse(t));
  }
  return Autostop(cs, {""}, instances);
}

TEST(CriterionParse, TankExamples) {
  Criterion c = Parse("http(5xx,10%,5s)");
  EXPECT_EQ(c.kind, CriterionKind::kHttp);
  EXPECT_TRUE(c.relative);
  EXPECT_DOUBLE_EQ(c.level, 0.1);
  EXPECT_EQ(c.window_s, 5);
  EXPECT_TRUE(c.mask.Matches(503));
  EXPECT_FALSE(c.mask.Matches(404));
  EXPECT_FALSE(c.mask.Matches(50));    // the whole code must match
  EXPECT_FALSE(c.mask.Matches(5003));  // (Tank's full match)

  c = Parse("net(xx,10,5s)");
  EXPECT_EQ(c.kind, CriterionKind::kNet);
  EXPECT_FALSE(c.relative);
  EXPECT_DOUBLE_EQ(c.level, 10);
  EXPECT_TRUE(c.mask.Matches(104));  // all x's: every non-zero code
  EXPECT_TRUE(c.mask.Matches(110));
  EXPECT_TRUE(c.mask.Matches(71));
  EXPECT_FALSE(c.mask.Matches(0));

  c = Parse("time(1s,10s)");
  EXPECT_EQ(c.rt_ns, 1'000'000'000);
  EXPECT_EQ(c.window_s, 10);
  c = Parse("time(500,10)");  // bare: ms for a response time, s for a window
  EXPECT_EQ(c.rt_ns, 500 * int64_t{kMs});
  EXPECT_EQ(c.window_s, 10);
  c = Parse("quantile(95,100ms,10s)");
  EXPECT_DOUBLE_EQ(c.quantile, 95);
  EXPECT_EQ(c.rt_ns, 100 * int64_t{kMs});
  c = Parse("instances(80%,10s)");
  EXPECT_DOUBLE_EQ(c.level, 0.8);
  EXPECT_TRUE(c.relative);
  c = Parse("limit(5m)");
  EXPECT_EQ(c.limit_ns, int64_t{300} * 1'000'000'000);
  c = Parse("limit(1m30s)");
  EXPECT_EQ(c.limit_ns, int64_t{90} * 1'000'000'000);
  c = Parse("total_time(300ms,70%,3s)");
  EXPECT_EQ(c.kind, CriterionKind::kTotalTime);
  EXPECT_DOUBLE_EQ(c.level, 0.7);
  EXPECT_EQ(Parse("total_http(5xx,10%,10s)").kind, CriterionKind::kTotalHttp);
  EXPECT_EQ(Parse("total_net(1xx,10,10s)").kind, CriterionKind::kTotalNet);
  EXPECT_EQ(Parse("negative_http(2xx,10%,10s)").kind, CriterionKind::kNegativeHttp);
  EXPECT_EQ(Parse("negative_net(0,10%,10s)").kind, CriterionKind::kNegativeNet);
  EXPECT_EQ(Parse("http_trend(2xx,10s)").kind, CriterionKind::kHttpTrend);
  // Tank lowercases the name, strips spaces and takes a tag as the last parameter.
  c = Parse("  HTTP( 5XX , 10% , 5s , api ) ");
  EXPECT_EQ(c.tag, "api");
  EXPECT_EQ(c.text, "HTTP( 5XX , 10% , 5s , api )");
  EXPECT_TRUE(c.mask.Matches(500));
}

TEST(CriterionParse, ErrorsNameThePositionInTanksWords) {
  EXPECT_EQ(ParseError("htp(5xx,10%,3s)"),
            "\"htp(5xx,10%,3s)\" at 1: Unsupported autostop criterion type: htp (known: time, "
            "http, net, quantile, instances, limit, total_time, total_http, total_net, "
            "negative_http, negative_net, http_trend)");
  EXPECT_EQ(ParseError("http(5xx,10%,3q)"),
            "\"http(5xx,10%,3q)\" at 15: String contains unsupported unit q: 3q");
  EXPECT_EQ(ParseError("http(5xx,10%)"),
            "\"http(5xx,10%)\" at 13: http takes (mask, level, window[, tag]); got 2 parameters");
  EXPECT_EQ(ParseError("http(5xx,10%,3s"), "\"http(5xx,10%,3s\" at 16: expected ')'");
  EXPECT_EQ(ParseError("http(5yx,10%,3s)"),
            "\"http(5yx,10%,3s)\" at 7: expected a code mask of up to 5 digits and x's (5xx, "
            "404, 11x, xx)");
  EXPECT_EQ(ParseError("http(5xx,ten,3s)"),
            "\"http(5xx,ten,3s)\" at 10: level: expected a count (10) or a share (10%)");
  EXPECT_EQ(ParseError("http(5xx,10%,3s) x"),
            "\"http(5xx,10%,3s) x\" at 18: expected nothing "
            "after ')'");
  EXPECT_EQ(ParseError("quantile(101,100ms,10s)"),
            "\"quantile(101,100ms,10s)\" at 10: quantile: expected a percentile above 0, at most "
            "100 (95, 99.9)");
  EXPECT_EQ(ParseError("time(1s,500ms)"), "\"time(1s,500ms)\" at 9: window: expected at least 1s");
  EXPECT_EQ(ParseError("instances(80%,10s,tag)"),
            "\"instances(80%,10s,tag)\" at 19: instances takes (level, window); got 3 parameters");
  EXPECT_NE(ParseError("http 5xx").find("at 1: Unsupported autostop criterion type"),
            std::string::npos);
  EXPECT_NE(ParseError("").find("at 1: expected a criterion"), std::string::npos);
}

TEST(CriterionParse, WithoutWindowForAStepSlo) {
  Criterion c = Parse("quantile(99,50ms)", false);
  EXPECT_EQ(c.window_s, 0);
  EXPECT_EQ(c.rt_ns, 50 * int64_t{kMs});
  c = Parse("http(5xx,1%)", false);
  EXPECT_DOUBLE_EQ(c.level, 0.01);
  c = Parse("net(xx,1%)", false);
  EXPECT_EQ(c.kind, CriterionKind::kNet);
  EXPECT_EQ(Parse("http(5xx,1%,api)", false).tag, "api");
  EXPECT_NE(ParseError("limit(5m)", false).find("no meaning without a window"), std::string::npos);
  EXPECT_NE(ParseError("quantile(99,50ms)", true).find("got 2 parameters"), std::string::npos);
}

TEST(CriterionMeasure, OneAggregate) {
  const SecondStats s = Second(0, {{90, 10, 200}, {10, 200, 503}});
  CriterionMeasure m = MeasureCriterion(Parse("http(5xx,10%)", false), s.overall);
  EXPECT_TRUE(m.breach);  // 10 % ≥ 10 %, as Tank compares
  EXPECT_DOUBLE_EQ(m.value, 0.1);
  EXPECT_EQ(m.matched, 10u);
  EXPECT_EQ(m.total, 100u);
  EXPECT_FALSE(MeasureCriterion(Parse("http(5xx,11%)", false), s.overall).breach);
  m = MeasureCriterion(Parse("quantile(95,100ms)", false), s.overall);
  EXPECT_TRUE(m.breach);
  EXPECT_NEAR(m.value, 200, 2);
  EXPECT_FALSE(MeasureCriterion(Parse("quantile(90,100ms)", false), s.overall).breach);
  EXPECT_FALSE(MeasureCriterion(Parse("net(xx,1)", false), s.overall).breach);
}

TEST(AutostopWindows, PerSecondKindsNeedConsecutiveSeconds) {
  Autostop as = Make({"http(5xx,10%,3s)"});
  AutostopVerdict v;
  const int64_t fired =
      Feed(&as,
           {Second(0, {{100, 1, 200}}), Second(1, {{80, 1, 200}, {20, 1, 503}}),
            Second(2, {{100, 1, 200}}),  // breaks the streak
            Second(3, {{80, 1, 200}, {20, 1, 503}}), Second(4, {{80, 1, 200}, {20, 1, 503}}),
            Second(5, {{80, 1, 200}, {20, 1, 503}}), Second(6, {{100, 1, 200}})},
           &v);
  EXPECT_EQ(fired, 5);
  EXPECT_EQ(v.since, 3);
  EXPECT_EQ(v.criterion, "http(5xx,10%,3s)");
  EXPECT_EQ(v.tank_rc, 22);
  EXPECT_EQ(v.explain, "5xx codes count higher than 10% for 3s, since second 3");
  // Once fired, never again.
  EXPECT_EQ(as.Observe(Second(7, {{100, 1, 503}})), nullptr);
  ASSERT_TRUE(as.verdict().has_value());
  EXPECT_EQ(as.verdict()->second, 5);
}

TEST(AutostopWindows, AnEmptySecondBreaksAStreak) {
  Autostop as = Make({"net(xx,10,2s)"});
  EXPECT_EQ(Feed(&as, {Second(0, {{10, 1, 0, 104}}), Second(1, {}), Second(2, {{10, 1, 0, 110}}),
                       Second(3, {{9, 1, 0, 110}, {5, 1, 200}}), Second(4, {{10, 1, 0, 104}}),
                       Second(5, {{12, 1, 0, 104}})}),
            5);
}

TEST(AutostopWindows, TimeAndQuantile) {
  Autostop avg = Make({"time(50ms,2s)"});
  EXPECT_EQ(Feed(&avg, {Second(0, {{10, 100, 200}}), Second(1, {{10, 40, 200}}),
                        Second(2, {{10, 60, 200}}), Second(3, {{5, 10, 200}, {5, 100, 200}})}),
            3);  // means 100, 40, 60, 55 ms: 2 and 3 in a row
  Autostop q = Make({"quantile(95,100ms,2s)"});
  EXPECT_EQ(Feed(&q, {Second(0, {{90, 10, 200}, {10, 300, 200}}),
                      Second(1, {{99, 10, 200}, {1, 300, 200}}),  // p95 10 ms
                      Second(2, {{90, 10, 200}, {10, 300, 200}}),
                      Second(3, {{90, 10, 200}, {10, 300, 200}})}),
            3);
}

TEST(AutostopWindows, InstancesAndLimit) {
  Autostop inst = Make({"instances(80%,2s)"}, 10);
  EXPECT_EQ(Feed(&inst, {Second(0, {}, 8), Second(1, {}, 9), Second(2, {}, 10)}), 2);  // > 80 %
  Autostop lim = Make({"limit(3s)"});
  AutostopVerdict v;
  EXPECT_EQ(Feed(&lim, {Second(0, {}), Second(1, {}), Second(2, {}), Second(3, {})}, &v), 2);
  EXPECT_EQ(v.explain, "Test time elapsed. Limit: 3s, actual time: 3s");
}

TEST(AutostopWindows, CumulativeKindsAverageSharesAndSumCounts) {
  // total_http, relative: the mean of the per-second shares over a full window. 0 %, 30 %,
  // 0 % → 10 %: fires on the third second, where http() would never fire.
  const std::vector<SecondStats> seconds = {Second(0, {{100, 1, 200}}),
                                            Second(1, {{70, 1, 200}, {30, 1, 503}}),
                                            Second(2, {{100, 1, 200}})};
  Autostop rel = Make({"total_http(5xx,10%,3s)"});
  AutostopVerdict v;
  EXPECT_EQ(Feed(&rel, seconds, &v), 2);
  EXPECT_EQ(v.since, 0);
  EXPECT_EQ(v.tank_rc, 26);
  Autostop per_second = Make({"http(5xx,10%,1s)"});
  EXPECT_EQ(Feed(&per_second, {seconds[0], seconds[2]}), -1);
  // Absolute: the sum of the counts over the window.
  Autostop abs = Make({"total_http(5xx,10,3s)"});
  EXPECT_EQ(Feed(&abs, {Second(0, {{4, 1, 503}}), Second(1, {{3, 1, 503}}),
                        Second(2, {{2, 1, 503}}), Second(3, {{5, 1, 503}})}),
            3);  // 4+3+2 = 9 < 10; then 3+2+5 = 10
  // A second without responses counts as 1 % (Tank's quirk): 1 + 1 + 1 ≥ 1 % mean.
  Autostop empty = Make({"total_http(5xx,1%,3s)"});
  EXPECT_EQ(Feed(&empty, {Second(0, {}), Second(1, {}), Second(2, {})}), 2);
}

TEST(AutostopWindows, NegativeKinds) {
  // negative_http(2xx,50%,2s): the share of non-2xx, averaged over 2 s, ≥ 50 %.
  Autostop neg = Make({"negative_http(2xx,50%,2s)"});
  EXPECT_EQ(
      Feed(&neg, {Second(0, {{60, 1, 200}, {40, 1, 500}}), Second(1, {{50, 1, 200}, {50, 1, 404}}),
                  Second(2, {{30, 1, 200}, {70, 1, 404}})}),
      2);  // (40 + 50) / 2 = 45; (50 + 70) / 2 = 60
  // negative_net(0,...): net code 0 counts as a match (Tank keeps it for negative_net).
  Autostop negnet = Make({"negative_net(0,5,1s)"});
  EXPECT_EQ(Feed(&negnet, {Second(0, {{100, 1, 200}, {4, 1, 0, 110}}),
                           Second(1, {{100, 1, 200}, {5, 1, 0, 104}})}),
            1);
}

TEST(AutostopWindows, TotalTimeShareOverTheWindow) {
  Autostop tt = Make({"total_time(100ms,50%,2s)"});
  EXPECT_EQ(Feed(&tt, {Second(0, {{60, 10, 200}, {40, 500, 200}}),
                       Second(1, {{60, 10, 200}, {40, 500, 200}}),  // 40 %
                       Second(2, {{20, 10, 200}, {80, 500, 200}})}),
            2);  // (40 + 80) / 200 = 60 %
}

TEST(AutostopWindows, HttpTrendFallingCount) {
  // Tangents start [0]; counts 100, 80, 60, 40 → [0, 100, −20, −20, −20], window 3: mean
  // −20 with no spread at the fourth second.
  Autostop tr = Make({"http_trend(2xx,3s)"});
  AutostopVerdict v;
  EXPECT_EQ(Feed(&tr,
                 {Second(0, {{100, 1, 200}}), Second(1, {{80, 1, 200}}), Second(2, {{60, 1, 200}}),
                  Second(3, {{40, 1, 200}})},
                 &v),
            3);
  EXPECT_EQ(v.figures[0].first, "trend");
  EXPECT_DOUBLE_EQ(v.figures[0].second, -20);
  Autostop flat = Make({"http_trend(2xx,3s)"});
  EXPECT_EQ(Feed(&flat, {Second(0, {{100, 1, 200}}), Second(1, {{100, 1, 200}}),
                         Second(2, {{100, 1, 200}}), Second(3, {{100, 1, 200}})}),
            -1);
}

TEST(AutostopWindows, FirstInListWinsAndTagsAreSeparate) {
  Autostop as = Make({"net(xx,1,1s)", "http(5xx,1,1s)"});
  AutostopVerdict v;
  EXPECT_EQ(Feed(&as, {Second(0, {{1, 1, 503, 0}, {1, 1, 0, 104}})}, &v), 0);
  EXPECT_EQ(v.criterion, "net(xx,1,1s)");

  // A tag's criterion sees only that tag's hits; a tag the ammo lacks sees nothing.
  Autostop tagged(std::vector<Criterion>{Parse("http(5xx,1,1s,b)"), Parse("http(5xx,1,1s,zz)")},
                  {"", "a", "b"}, 10);
  Stats a;
  a.Add(Hit(1, 503, 0, 1));
  Stats b;
  b.Add(Hit(1, 200, 0, 2));
  SecondStats s;
  s.tags = {nullptr, &a, &b};
  s.overall.Merge(a);
  s.overall.Merge(b);
  EXPECT_EQ(tagged.Observe(s), nullptr);
  b.Add(Hit(1, 502, 0, 2));
  s.second = 1;
  ASSERT_NE(tagged.Observe(s), nullptr);
  EXPECT_EQ(tagged.verdict()->criterion, "http(5xx,1,1s,b)");
}

TEST(AutostopReport, RoundTrips) {
  Autostop as = Make({"http(5xx,10%,1s)"});
  AutostopVerdict v;
  ASSERT_EQ(Feed(&as, {Second(4, {{50, 1, 503}, {50, 1, 200}})}, &v), 4);
  char dir[] = "/tmp/criteria_test_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  absl::StatusOr<std::optional<AutostopVerdict>> none = ReadAutostopReport(dir);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  const std::string path = std::string(dir) + "/" + kAutostopReportFile;
  std::ofstream(path) << FormatAutostopReport(v);
  absl::StatusOr<std::optional<AutostopVerdict>> back = ReadAutostopReport(dir);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->criterion, v.criterion);
  EXPECT_EQ((*back)->second, 4);
  EXPECT_EQ((*back)->explain, v.explain);
  EXPECT_EQ((*back)->figures, v.figures);
  std::ofstream(path) << "http(5xx,10%,1s)\nsecond four\n";
  absl::StatusOr<std::optional<AutostopVerdict>> bad = ReadAutostopReport(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("autostop_report.txt:2: expected second"),
            std::string::npos);
  unlink(path.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace incarne
