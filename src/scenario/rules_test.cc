#include "scenario/rules.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "scenario/http_reply.h"
#include "scenario/jsonpath.h"

namespace incarne::scenario {
namespace {

RulePlan Rule(std::string tag) {
  RulePlan r;
  r.tag = std::move(tag);
  return r;
}

std::unique_ptr<RuleSet> MustCompile(const std::vector<RulePlan>& rules,
                                     const std::vector<std::string>& tags) {
  auto set = RuleSet::Compile(rules, ScenarioPlan{}, tags);
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? std::move(*set) : nullptr;
}

std::string Why(RuleSet& set, uint16_t tag, uint16_t status, int64_t latency_ns, std::string reply,
                VarStore* vars = nullptr) {
  reply.append(kJsonPadding, '\0');  // as the worker's scan buffers
  const Verdict v = set.Check(tag, status, latency_ns, reply.data(),
                              static_cast<uint32_t>(reply.size() - kJsonPadding), vars);
  if (v.net_code == 0) {
    return "ok";
  }
  return std::to_string(v.net_code) + " " + v.why;
}

TEST(StatusItem, CodesAndClasses) {
  std::bitset<1000> c;
  EXPECT_EQ(ParseStatusItem("2xx", &c), "");
  EXPECT_TRUE(c.test(200) && c.test(299));
  EXPECT_FALSE(c.test(300) || c.test(199));
  std::bitset<1000> d;
  EXPECT_EQ(ParseStatusItem("40x", &d), "");
  EXPECT_TRUE(d.test(404) && d.test(400));
  EXPECT_FALSE(d.test(410));
  EXPECT_NE(ParseStatusItem("20", &d), "");
  EXPECT_NE(ParseStatusItem("x00", &d), "");
  EXPECT_NE(ParseStatusItem("2x0", &d), "");  // x only at the end
  EXPECT_NE(ParseStatusItem("099", &d), "");
}

TEST(RegexError, BadAndCostly) {
  EXPECT_EQ(RegexError("a+b"), "");
  EXPECT_NE(RegexError("(abc"), "");
  EXPECT_NE(RegexError("(a{1000}){1000}"), "");
}

TEST(RuleSet, PerTagTableFullMatch) {
  RulePlan r = Rule("log.*");
  r.status = {"200"};
  auto set = MustCompile({r}, {"", "login", "logout", "catalog", "profile"});
  ASSERT_NE(set, nullptr);
  EXPECT_FALSE(set->Touches(0));
  EXPECT_TRUE(set->Touches(1));
  EXPECT_TRUE(set->Touches(2));
  EXPECT_FALSE(set->Touches(3));  // "catalog" contains "log" but does not match in full
  EXPECT_FALSE(set->Touches(4));
  EXPECT_FALSE(set->Touches(900));  // not a tag of the ammo
  EXPECT_EQ(set->tags_touched(), 2u);
  EXPECT_FALSE(set->NeedsReply(1));  // status only: no reply bytes
  EXPECT_EQ(set->scan_bytes(), 0u);
}

TEST(RuleSet, StatusAndLatency) {
  RulePlan r = Rule("a");
  r.status = {"2xx", "404"};
  r.max_latency_ns = 1000;
  auto set = MustCompile({r}, {"", "a"});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(Why(*set, 1, 204, 10, ""), "ok");
  EXPECT_EQ(Why(*set, 1, 404, 10, ""), "ok");
  EXPECT_EQ(Why(*set, 1, 500, 10, ""), "314 assert status failed");
  EXPECT_EQ(Why(*set, 1, 0, 10, ""), "314 assert status failed");
  EXPECT_EQ(Why(*set, 1, 200, 1000, ""), "ok");
  EXPECT_EQ(Why(*set, 1, 200, 1001, ""), "314 assert max_latency failed");
}

TEST(RuleSet, HeadersAndBody) {
  RulePlan r = Rule(".*");
  r.headers = {{"content-type", "json"}};
  r.body = "\"access_token\"";
  auto set = MustCompile({r}, {""});
  ASSERT_NE(set, nullptr);
  EXPECT_TRUE(set->NeedsReply(0));
  EXPECT_EQ(set->scan_bytes(), kScanHeadMax + 64 * 1024);
  const std::string ok =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n"
      "{\"access_token\":\"t1\"}";
  EXPECT_EQ(Why(*set, 0, 200, 0, ok), "ok");
  EXPECT_EQ(Why(*set, 0, 200, 0,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n{\"access_token\":1}"),
            "314 assert header content-type failed");
  EXPECT_EQ(Why(*set, 0, 200, 0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"),
            "314 assert header content-type failed");  // missing header
  EXPECT_EQ(Why(*set, 0, 200, 0, "HTTP/1.1 200 OK\r\nContent-Type: json\r\n\r\n{}"),
            "314 assert body failed");
  // The token is in the header block, not in the body: the body check fails.
  EXPECT_EQ(Why(*set, 0, 200, 0,
                "HTTP/1.1 200 OK\r\nX-\"access_token\": 1\r\nContent-Type: json\r\n\r\n{}"),
            "314 assert body failed");
}

TEST(RuleSet, BodyScanWindowAndChunked) {
  RulePlan r = Rule(".*");
  r.body = "needle";
  r.body_scan = 10;
  auto set = MustCompile({r}, {""});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(Why(*set, 0, 200, 0, "HTTP/1.1 200 OK\r\n\r\n0123needle"), "ok");
  EXPECT_EQ(Why(*set, 0, 200, 0, "HTTP/1.1 200 OK\r\n\r\n01234needle"), "314 assert body failed");
  // Chunked: the chunk-size lines are not part of the body; "nee"+"dle" across two chunks.
  EXPECT_EQ(Why(*set, 0, 200, 0,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nnee\r\n3\r\ndle\r\n0\r\n"
                "\r\n"),
            "ok");
  // Interim 100 Continue before the final reply.
  EXPECT_EQ(Why(*set, 0, 200, 0, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nneedle"),
            "ok");
}

TEST(RuleSet, FirstFailedRuleInPlanOrder) {
  RulePlan a = Rule("x");
  a.status = {"200"};
  RulePlan b = Rule(".*");
  b.max_latency_ns = 5;
  auto set = MustCompile({a, b}, {"", "x", "y"});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(Why(*set, 1, 500, 10, ""), "314 assert status failed");
  EXPECT_EQ(Why(*set, 1, 200, 10, ""), "314 assert max_latency failed");
  EXPECT_EQ(Why(*set, 2, 500, 1, ""), "ok");  // only rule b applies to "y"
  auto clone = set->Clone();
  EXPECT_EQ(Why(*clone, 1, 500, 10, ""), "314 assert status failed");
}

TEST(RuleSet, UnusedRules) {
  RulePlan a = Rule("nope");
  a.status = {"200"};
  auto set = MustCompile({a}, {"", "x"});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->UnusedRules(), std::vector<size_t>{0});
}

TEST(RuleSet, BadRegexNamesTheRule) {
  RulePlan a = Rule("(x");
  a.status = {"200"};
  a.where = "plan.toml:3:1";
  auto set = RuleSet::Compile({a}, ScenarioPlan{}, {""});
  ASSERT_FALSE(set.ok());
  EXPECT_NE(std::string(set.status().message()).find("plan.toml:3:1: rules.tag: bad regex"),
            std::string::npos)
      << set.status();
}

TEST(JsonPath, ToPointer) {
  EXPECT_EQ(*JsonPathToPointer("$"), "");
  EXPECT_EQ(*JsonPathToPointer("$.access_token"), "/access_token");
  EXPECT_EQ(*JsonPathToPointer("$.a.b[0].c"), "/a/b/0/c");
  EXPECT_EQ(*JsonPathToPointer("$['a/b']['x~y'][\"q\\\"\"]"), "/a~1b/x~0y/q\"");
  EXPECT_EQ(JsonPathToPointer("a.b").status().message(),
            "column 1: expected a JSON path starting with $, e.g. \"$.access_token\"");
  EXPECT_FALSE(JsonPathToPointer("$.").ok());
  EXPECT_FALSE(JsonPathToPointer("$[01]").ok());
  EXPECT_FALSE(JsonPathToPointer("$[1").ok());
  EXPECT_FALSE(JsonPathToPointer("$['a").ok());
  EXPECT_FALSE(JsonPathToPointer("$..a").ok());
  EXPECT_FALSE(JsonPathToPointer("$[*]").ok());
}

class Vars {
 public:
  explicit Vars(const ScenarioPlan& sc)
      : values_(size_t{sc.max_vars} * sc.max_value), lens_(sc.max_vars, VarStore::kUnset) {
    store_.values = values_.data();
    store_.lens = lens_.data();
  }
  VarStore* store() { return &store_; }
  std::string Get(uint32_t i, uint32_t max_value) const {
    return lens_[i] == VarStore::kUnset ? "<unset>"
                                        : std::string(values_.data() + i * max_value, lens_[i]);
  }

 private:
  std::vector<char> values_;
  std::vector<uint16_t> lens_;
  VarStore store_;
};

TEST(RuleSet, Captures) {
  RulePlan r = Rule(".*");
  r.status = {"2xx"};
  r.captures = {
      {.name = "token", .from = CapturePlan::From::kJson, .json = "$.access_token"},
      {.name = "n", .from = CapturePlan::From::kJson, .json = "$.items[1].n"},
      {.name = "sid",
       .from = CapturePlan::From::kHeader,
       .header = "Set-Cookie",
       .regex = "sid=(\\w+)"},
      {.name = "ctype", .from = CapturePlan::From::kHeader, .header = "content-type"},
      {.name = "word", .regex = "\"w\":\"([a-z]+)\""},
  };
  ScenarioPlan sc;
  sc.max_vars = 8;
  sc.max_value = 8;
  auto set = RuleSet::Compile({r}, sc, {""});
  ASSERT_TRUE(set.ok()) << set.status();
  RuleSet& rules = **set;
  EXPECT_EQ(rules.var_names(), (std::vector<std::string>{"ctype", "n", "sid", "token", "word"}));
  EXPECT_TRUE(rules.NeedsReply(0));
  Vars vars(sc);
  const std::string reply =
      "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: sid=abc123; Path=/\r\n"
      "Content-Type: app/json\r\n\r\n"
      "{\"access_token\":\"t-1\",\"items\":[{},{\"n\":42}],\"w\":\"hey\"}";
  EXPECT_EQ(Why(rules, 0, 200, 0, reply, vars.store()), "ok");
  EXPECT_EQ(vars.Get(0, 8), "app/json");
  EXPECT_EQ(vars.Get(1, 8), "42");
  EXPECT_EQ(vars.Get(2, 8), "abc123");
  EXPECT_EQ(vars.Get(3, 8), "t-1");
  EXPECT_EQ(vars.Get(4, 8), "hey");
  // A failed assert takes no capture.
  Vars none(sc);
  EXPECT_EQ(Why(rules, 0, 500, 0, reply, none.store()), "314 assert status failed");
  EXPECT_EQ(none.Get(3, 8), "<unset>");
  // Nothing found → 314; a value longer than max_value → EOVERFLOW, nothing written.
  EXPECT_EQ(Why(rules, 0, 200, 0, "HTTP/1.1 200 OK\r\n\r\n{}", none.store()),
            "314 assert capture token failed");
  const std::string long_token =
      "HTTP/1.1 200 OK\r\nSet-Cookie: sid=x\r\nContent-Type: j\r\n\r\n"
      "{\"access_token\":\"123456789\",\"items\":[0,{\"n\":1}],\"w\":\"a\"}";
  Vars v2(sc);
  EXPECT_EQ(Why(rules, 0, 200, 0, long_token, v2.store()),
            std::to_string(EOVERFLOW) + " capture token: longer than scenario.max_value");
  EXPECT_EQ(v2.Get(3, 8), "<unset>");
  // Not JSON: the JSON captures find nothing.
  EXPECT_EQ(
      Why(rules, 0, 200, 0,
          "HTTP/1.1 200 OK\r\nSet-Cookie: sid=x\r\nContent-Type: j\r\n\r\nnot json", v2.store()),
      "314 assert capture token failed");
}

TEST(RuleSet, TooManyVariables) {
  RulePlan r = Rule(".*");
  r.captures = {{.name = "a", .regex = "x"}, {.name = "b", .regex = "y"}};
  ScenarioPlan sc;
  sc.max_vars = 1;
  auto set = RuleSet::Compile({r}, sc, {""});
  ASSERT_FALSE(set.ok());
  EXPECT_NE(std::string(set.status().message()).find("more than scenario.max_vars = 1"),
            std::string::npos);
}

TEST(SplitReply, CutHeadAndHeaders) {
  std::string cut = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2";
  ReplyView v = SplitReply(cut.data(), static_cast<uint32_t>(cut.size()));
  EXPECT_EQ(v.body, "");
  int seen = 0;
  ForEachHeader(v.headers, "b", [&](std::string_view value) {
    EXPECT_EQ(value, "2");
    ++seen;
    return false;
  });
  EXPECT_EQ(seen, 1);
  std::string lf = "HTTP/1.0 200 OK\nA:  x \n\nbody";
  v = SplitReply(lf.data(), static_cast<uint32_t>(lf.size()));
  EXPECT_EQ(v.body, "body");
  EXPECT_TRUE(ForEachHeader(v.headers, "A", [](std::string_view x) { return x == "x"; }));
}

}  // namespace
}  // namespace incarne::scenario
