// [[rules]] through the plan loader: what is read, what is refused (with its position) and
// that the resolved plan writes them back.
#include <gtest/gtest.h>

#include <string>

#include "plan/plan_loader.h"
#include "util/absl_view.h"

namespace incarne {
namespace {

constexpr char kBase[] = R"toml([target]
address = "127.0.0.1:8080"

[ammo]
uris = ["/"]

[load]
schedule = "const(10, 5s)"
)toml";

absl::StatusOr<Plan> Load(const std::string& rules) {
  return LoadPlanText(std::string(kBase) + rules, "plan.toml", {});
}

std::string Error(const std::string& rules) {
  absl::StatusOr<Plan> p = Load(rules);
  EXPECT_FALSE(p.ok()) << rules;
  return p.ok() ? "" : std::string(StdView(p.status().message()));
}

#define EXPECT_HAS(msg, needle) \
  EXPECT_NE((msg).find(needle), std::string::npos) << "message: " << (msg)

TEST(RulesToml, EveryKey) {
  absl::StatusOr<Plan> p = Load(R"toml(
[[rules]]
tag = "login|auth"
status = ["2xx", 302]
body = '"access_token"'
body_scan = 1024
headers = { "Content-Type" = "json", "X-Id" = "^[0-9]+$" }
max_latency = "250ms"

[[rules]]
status = 200
)toml");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->rules.size(), 2u);
  const RulePlan& r = p->rules[0];
  EXPECT_EQ(r.tag, "login|auth");
  EXPECT_EQ(r.status, (std::vector<std::string>{"2xx", "302"}));
  EXPECT_EQ(r.body, "\"access_token\"");
  EXPECT_EQ(r.body_scan, 1024u);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].first, "Content-Type");
  EXPECT_EQ(r.max_latency_ns, 250'000'000);
  EXPECT_EQ(r.where, "plan.toml:10:1");
  EXPECT_EQ(p->rules[1].tag, ".*");  // no tag: every hit
  EXPECT_EQ(p->rules[1].status, std::vector<std::string>{"200"});

  // The resolved plan carries them, and reads back to the same plan.
  const std::string toml = FormatPlanToml(*p);
  EXPECT_HAS(toml, "[[rules]]\ntag = \"login|auth\"\nstatus = [\"2xx\", \"302\"]\n");
  absl::StatusOr<Plan> again = LoadPlanText(toml, "resolved.toml", {});
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << toml;
  EXPECT_EQ(*again, *p);
}

TEST(RulesToml, BadRegexHasItsPosition) {
  EXPECT_HAS(Error("\n[[rules]]\ntag = \"a\"\nbody = \"(abc\"\n"),
             "plan.toml:12:8: rules.body: bad regex \"(abc\": missing ): (abc");
  EXPECT_HAS(Error("\n[[rules]]\ntag = \"(\"\nstatus = [200]\n"), "plan.toml:11:7: rules.tag");
  EXPECT_HAS(Error("\n[[rules]]\nheaders = { A = \"[z-a]\" }\n"),
             "plan.toml:11:17: rules.headers.A: bad regex");
}

TEST(RulesToml, Refusals) {
  EXPECT_HAS(Error("\n[[rules]]\nstatus = [\"2x\"]\n"),
             "plan.toml:11:11: rules.status: expected an HTTP status");
  EXPECT_HAS(Error("\n[[rules]]\nstatus = []\n"), "rules.status: expected at least one");
  EXPECT_HAS(Error("\n[[rules]]\nstatus = [200]\nstatsu = 1\n"),
             "plan.toml:12:1: unknown key 'statsu' in [[rules]]");
  EXPECT_HAS(Error("\n[[rules]]\ntag = \"x\"\n"),
             "plan.toml:10:1: rules: this rule checks nothing");
  EXPECT_HAS(Error("\n[[rules]]\nstatus = [200]\nmax_latency = \"fast\"\n"),
             "plan.toml:12:15: rules.max_latency: expected a duration");
  EXPECT_HAS(Error("\n[[rules]]\nbody = \"x\"\nbody_scan = 0\n"),
             "rules.body_scan: expected a number of bytes");
  // Top-level keys come before the first table.
  absl::StatusOr<Plan> p = LoadPlanText(std::string("rules = 5\n") + kBase, "plan.toml", {});
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(std::string(StdView(p.status().message())),
             "plan.toml:1:9: rules: expected [[rules]] tables");
  EXPECT_HAS(Error("\n[rules]\nstatus = 200\n"), "rules: expected [[rules]] tables");
}

TEST(RulesToml, CapturesAndScenario) {
  absl::StatusOr<Plan> p = Load(R"toml(
[scenario]
max_vars = 4
max_value = 512

[[rules]]
tag = "login"
capture = { token = { json = "$.access_token" }, sid = { header = "Set-Cookie", regex = 'sid=(\w+)' }, n = { regex = "n=(\\d+)" } }
)toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->scenario.max_vars, 4u);
  EXPECT_EQ(p->scenario.max_value, 512u);
  ASSERT_EQ(p->rules.size(), 1u);
  const std::vector<CapturePlan>& c = p->rules[0].captures;
  ASSERT_EQ(c.size(), 3u);  // in name order
  EXPECT_EQ(c[0].name, "n");
  EXPECT_EQ(c[0].from, CapturePlan::From::kBody);
  EXPECT_EQ(c[0].regex, "n=(\\d+)");
  EXPECT_EQ(c[1].name, "sid");
  EXPECT_EQ(c[1].from, CapturePlan::From::kHeader);
  EXPECT_EQ(c[1].header, "Set-Cookie");
  EXPECT_EQ(c[2].name, "token");
  EXPECT_EQ(c[2].from, CapturePlan::From::kJson);
  EXPECT_EQ(c[2].json, "$.access_token");
  const std::string toml = FormatPlanToml(*p);
  EXPECT_HAS(toml, "\n[scenario]\nmax_vars = 4\nmax_value = 512\n");
  absl::StatusOr<Plan> again = LoadPlanText(toml, "resolved.toml", {});
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << toml;
  EXPECT_EQ(*again, *p);
}

TEST(RulesToml, CaptureRefusals) {
  EXPECT_HAS(Error("\n[[rules]]\ncapture = { t = { json = \"access_token\" } }\n"),
             "plan.toml:11:26: rules.capture.t.json: bad JSON path \"access_token\": column 1: "
             "expected a JSON path starting with $");
  EXPECT_HAS(Error("\n[[rules]]\ncapture = { t = { json = \"$.a\", regex = \"x\" } }\n"),
             "rules.capture.t: json goes alone");
  EXPECT_HAS(Error("\n[[rules]]\ncapture = { t = { from = \"body\" } }\n"),
             "rules.capture.t.from: unknown key");
  EXPECT_HAS(Error("\n[[rules]]\ncapture = { 1t = { regex = \"x\" } }\n"),
             "rules.capture.1t: a variable name is letters");
  EXPECT_HAS(Error("\n[[rules]]\ncapture = { t = { regex = \"(\" } }\n"),
             "rules.capture.t.regex: bad regex");
  EXPECT_HAS(Error("\n[scenario]\nmax_vars = 1\n[[rules]]\ncapture = { a = { regex = \"x\" }, "
                   "b = { regex = \"y\" } }\n"),
             "scenario.max_vars: the captures name 2 variables, more than max_vars = 1");
  EXPECT_HAS(Error("\n[scenario]\ncookies = 1\n"),
             "plan.toml:11:11: scenario.cookies: expected true or false, got an integer");
  EXPECT_HAS(Error("\n[scenario]\non_fail = \"retry\"\n"),
             "plan.toml:11:11: scenario.on_fail: expected \"stop\"");
  EXPECT_HAS(Error("\n[scenario.data]\nrows = \"instance\"\n"),
             "scenario.data: expected file = \"users.csv\"");
  EXPECT_HAS(Error("\n[scenario.data]\nfile = \"u.csv\"\nrows = \"random\"\n"),
             "plan.toml:12:8: scenario.data.rows: expected \"instance\"");
  EXPECT_HAS(Error("\n[[scenario.steps]]\nsleep = \"1s\"\n"),
             "plan.toml:10:1: scenario.steps: expected tag = ");
  EXPECT_HAS(Error("\n[[scenario.steps]]\ntag = \"a\"\nsleep = \"soon\"\n"),
             "plan.toml:12:9: scenario.steps.sleep: expected a think time");
  EXPECT_HAS(Error("\n[[scenario.steps]]\ntag = \"a\"\nthink = \"1s\"\n"),
             "plan.toml:12:1: unknown key 'think' in [[scenario.steps]]");
  EXPECT_HAS(Error("\n[scenario]\nmax_value = 0\n"), "scenario.max_value: expected an integer");
  EXPECT_HAS(Error("\n[scenario]\nmaxvars = 1\n"), "unknown key 'maxvars' in [scenario]");
}

TEST(RulesToml, SessionKeys) {
  absl::StatusOr<Plan> p = Load(R"toml(
[scenario]
cookies = true
on_fail = "continue"
name = "checkout"

[scenario.data]
file = "users.csv"
rows = "round_robin"

[[scenario.steps]]
tag = "login"

[[scenario.steps]]
tag = "profile"
sleep = "100ms"
)toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->scenario.cookies);
  EXPECT_FALSE(p->scenario.on_fail_stop);
  EXPECT_EQ(p->scenario.name, "checkout");
  EXPECT_EQ(p->scenario.data_file, "users.csv");
  EXPECT_TRUE(p->scenario.data_round_robin);
  ASSERT_EQ(p->scenario.steps.size(), 2u);
  EXPECT_EQ(p->scenario.steps[1].tag, "profile");
  EXPECT_EQ(p->scenario.steps[1].sleep_ns, 100'000'000);
  const std::string toml = FormatPlanToml(*p);
  absl::StatusOr<Plan> again = LoadPlanText(toml, "resolved.toml", {});
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << toml;
  EXPECT_EQ(*again, *p);
}

}  // namespace
}  // namespace incarne
