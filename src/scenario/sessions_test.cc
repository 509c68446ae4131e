// The session machinery's pure parts: the cookie jar (Set-Cookie parsing, storing, the Cookie
// header), the data file reader and the session tables (docs/scenario.md).
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>

#include "scenario/cookies.h"
#include "scenario/data_file.h"
#include "scenario/session.h"

namespace incarne::scenario {
namespace {

#define EXPECT_HAS(msg, needle) \
  EXPECT_NE(std::string(msg).find(needle), std::string::npos) << "message: " << (msg)

constexpr int64_t kNow = 1'800'000'000;  // 2027-01-15

std::string WithCookies(const CookieJar& jar, const std::string& request) {
  std::string out(request.size() + kCookieHeaderMax, '\0');
  const int64_t n =
      InsertCookies(jar, request, kNow, out.data(), static_cast<uint32_t>(out.size()));
  EXPECT_GE(n, 0);
  return n == 0 ? request : out.substr(0, static_cast<size_t>(n));
}

TEST(Cookies, ParseSetCookie) {
  SetCookie c;
  ASSERT_TRUE(ParseSetCookie(
      "sid=abc123; Path=/app; Domain=.Example.com; Max-Age=60; HttpOnly; Secure", &c));
  EXPECT_EQ(c.name, "sid");
  EXPECT_EQ(c.value, "abc123");
  EXPECT_EQ(c.path, "/app");
  EXPECT_EQ(c.domain, "Example.com");
  EXPECT_TRUE(c.has_max_age);
  EXPECT_EQ(c.max_age, 60);
  ASSERT_TRUE(ParseSetCookie(" a = b = c ;expires=Sun, 06 Nov 1994 08:49:37 GMT", &c));
  EXPECT_EQ(c.name, "a");
  EXPECT_EQ(c.value, "b = c");
  EXPECT_TRUE(c.has_expires);
  EXPECT_EQ(c.expires_s, 784111777);
  EXPECT_FALSE(ParseSetCookie("novalue; Path=/", &c));
  EXPECT_FALSE(ParseSetCookie("=x", &c));
  ASSERT_TRUE(ParseSetCookie("a=1; Max-Age=soon; Path=relative", &c));
  EXPECT_FALSE(c.has_max_age);  // a bad attribute is ignored, the cookie stays
  EXPECT_TRUE(c.path.empty());
}

TEST(Cookies, Dates) {
  int64_t t = 0;
  ASSERT_TRUE(ParseCookieDate("Sun, 06 Nov 1994 08:49:37 GMT", &t));
  EXPECT_EQ(t, 784111777);
  ASSERT_TRUE(ParseCookieDate("Sunday, 06-Nov-94 08:49:37 GMT", &t));
  EXPECT_EQ(t, 784111777);
  ASSERT_TRUE(ParseCookieDate("Thu, 01 Jan 1970 00:00:00 GMT", &t));
  EXPECT_EQ(t, 0);
  EXPECT_FALSE(ParseCookieDate("tomorrow", &t));
  EXPECT_FALSE(ParseCookieDate("Sun, 32 Nov 1994 08:49:37 GMT", &t));
}

TEST(Cookies, RequestHostPath) {
  std::string_view host;
  std::string_view path;
  ASSERT_TRUE(
      RequestHostPath("GET /a/b?x=1 HTTP/1.1\r\nHost: Shop.example:8080\r\n\r\n", &host, &path));
  EXPECT_EQ(host, "Shop.example");
  EXPECT_EQ(path, "/a/b");
  ASSERT_TRUE(RequestHostPath("GET http://h.example/p HTTP/1.1\r\n\r\n", &host, &path));
  EXPECT_EQ(host, "h.example");
  EXPECT_EQ(path, "/p");
  EXPECT_FALSE(RequestHostPath("GET / HTTP/1.1\r\n\r\n", &host, &path));
}

TEST(Cookies, JarSendsWhatMatches) {
  auto jar = std::make_unique<CookieJar>();
  jar->Clear();
  const std::string login = "POST /app/login HTTP/1.1\r\nHost: shop.example\r\n\r\n";
  ASSERT_EQ(TakeSetCookies(jar.get(),
                           "Content-Type: text/plain\r\nSet-Cookie: sid=s1; Path=/\r\n"
                           "Set-Cookie: app=a1\r\nset-cookie: wide=w; Domain=example; Path=/\r\n"
                           "Set-Cookie: other=o; Domain=elsewhere.example\r\n",
                           login, kNow),
            0);
  // app's default path is /app; `other` names a domain the host may not set: ignored.
  EXPECT_EQ(WithCookies(*jar, "GET /app/cart HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
            "GET /app/cart HTTP/1.1\r\nCookie: sid=s1; app=a1; wide=w\r\nHost: "
            "shop.example\r\n\r\n");
  EXPECT_EQ(WithCookies(*jar, "GET /apple HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
            "GET /apple HTTP/1.1\r\nCookie: sid=s1; wide=w\r\nHost: shop.example\r\n\r\n");
  EXPECT_EQ(WithCookies(*jar, "GET / HTTP/1.1\r\nHost: api.example\r\n\r\n"),
            "GET / HTTP/1.1\r\nCookie: wide=w\r\nHost: api.example\r\n\r\n");
  EXPECT_EQ(WithCookies(*jar, "GET / HTTP/1.1\r\nHost: other.test\r\n\r\n"),
            "GET / HTTP/1.1\r\nHost: other.test\r\n\r\n");
  // Replaced, then deleted by Max-Age=0; expired by Expires in the past.
  ASSERT_EQ(TakeSetCookies(jar.get(), "Set-Cookie: sid=s2; Path=/\r\n", login, kNow), 0);
  EXPECT_EQ(WithCookies(*jar, "GET /x HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
            "GET /x HTTP/1.1\r\nCookie: sid=s2; wide=w\r\nHost: shop.example\r\n\r\n");
  ASSERT_EQ(TakeSetCookies(jar.get(),
                           "Set-Cookie: sid=; Path=/; Max-Age=0\r\nSet-Cookie: wide=; "
                           "Domain=example; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT\r\n",
                           login, kNow),
            0);
  EXPECT_EQ(WithCookies(*jar, "GET /x HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
            "GET /x HTTP/1.1\r\nHost: shop.example\r\n\r\n");
  // A Max-Age cookie expires with time.
  ASSERT_EQ(TakeSetCookies(jar.get(), "Set-Cookie: t=1; Max-Age=10; Path=/\r\n", login, kNow), 0);
  std::string out(200, '\0');
  EXPECT_GT(InsertCookies(*jar, "GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n", kNow + 9,
                          out.data(), 200),
            0);
  EXPECT_EQ(InsertCookies(*jar, "GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n", kNow + 10,
                          out.data(), 200),
            0);
}

TEST(Cookies, LimitsRefuseNeverCut) {
  auto jar = std::make_unique<CookieJar>();
  jar->Clear();
  const std::string req = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string big = "Set-Cookie: b=" + std::string(kCookieValueMax + 1, 'v') + "\r\n";
  EXPECT_EQ(TakeSetCookies(jar.get(), big, req, kNow), -EOVERFLOW);
  EXPECT_EQ(WithCookies(*jar, req), req);  // nothing stored
  for (uint32_t i = 0; i < kJarCookies; ++i) {
    ASSERT_EQ(TakeSetCookies(jar.get(), "Set-Cookie: c" + std::to_string(i) + "=1\r\n", req, kNow),
              0);
  }
  EXPECT_EQ(TakeSetCookies(jar.get(), "Set-Cookie: one_more=1\r\n", req, kNow), -EOVERFLOW);
  std::string out(40, '\0');
  EXPECT_EQ(InsertCookies(*jar, req, kNow, out.data(), 40), -EMSGSIZE);
}

TEST(DataFile, Reads) {
  absl::StatusOr<DataTable> t = ParseDataCsv(
      "\xEF\xBB\xBFuser,password\r\nalice,\"p,1\"\r\n\r\nbob,\"say \"\"hi\"\"\"\n", "u.csv", 16);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->columns, (std::vector<std::string>{"user", "password"}));
  ASSERT_EQ(t->rows(), 2u);
  EXPECT_EQ(t->Cell(0, 1), "p,1");
  EXPECT_EQ(t->Cell(1, 0), "bob");
  EXPECT_EQ(t->Cell(1, 1), "say \"hi\"");
}

TEST(DataFile, Refusals) {
  auto error = [](std::string_view text) {
    absl::StatusOr<DataTable> t = ParseDataCsv(text, "u.csv", 8);
    EXPECT_FALSE(t.ok()) << text;
    return t.ok() ? std::string() : std::string(t.status().message());
  };
  EXPECT_HAS(error("user,pass\na,b\nc\n"), "u.csv:3: expected 2 fields (as the header row), got 1");
  EXPECT_HAS(error("user,1pass\na,b\n"), "u.csv:1: column 2: expected a variable name");
  EXPECT_HAS(error("user,user\na,b\n"), "u.csv:1: column 2: 'user' named twice");
  EXPECT_HAS(error("user\n\"abc\n"), "u.csv:2: expected the closing '\"'");
  EXPECT_HAS(error("user\nabcdefghi\n"),
             "u.csv:2: column 'user': 9 bytes, longer than "
             "scenario.max_value = 8");
  EXPECT_HAS(error("user\n"), "expected at least one row");
  EXPECT_HAS(error(""), "u.csv:1: expected a header row");
}

StepMark Mark(std::string scenario, uint32_t step, int64_t sleep, std::string where) {
  return StepMark{std::move(scenario), step, sleep, std::move(where)};
}

TEST(Sessions, FromMarks) {
  std::vector<std::string> tags = {"", "login", "profile"};
  absl::StatusOr<SessionTable> t =
      SessionsFromMarks({Mark("s", 1, 0, "l1"), Mark("s", 2, 10, "l2"), Mark("", 0, 0, "l3"),
                         Mark("s", 1, 0, "l4"), Mark("s", 2, 0, "l5"), Mark("t", 1, 0, "l6")},
                        &tags);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(tags, (std::vector<std::string>{"", "login", "profile", "s", "t"}));
  ASSERT_EQ(t->count(), 4u);
  EXPECT_EQ(t->Steps(0), 2u);
  EXPECT_EQ(t->Step(0, 1).record, 1u);
  EXPECT_EQ(t->Step(0, 1).sleep_ns, 10);
  EXPECT_EQ(t->tag[0], 3u);
  EXPECT_EQ(t->tag[1], kNoSessionTag);
  EXPECT_EQ(t->Step(2, 1).record, 4u);
  EXPECT_EQ(t->tag[3], 4u);
}

TEST(Sessions, BadMarks) {
  std::vector<std::string> tags = {""};
  auto error = [&](const std::vector<StepMark>& marks) {
    absl::StatusOr<SessionTable> t = SessionsFromMarks(marks, &tags);
    EXPECT_FALSE(t.ok());
    return t.ok() ? std::string() : std::string(t.status().message());
  };
  EXPECT_HAS(error({Mark("s", 1, 0, "a"), Mark("s", 3, 0, "f: line 2")}),
             "f: line 2: scenario 's' step 3 follows step 1 of scenario 's' (a step is missing");
  EXPECT_HAS(error({Mark("s", 1, 0, "a"), Mark("s", 2, 0, "b"), Mark("s", 2, 0, "f: line 3")}),
             "f: line 3: scenario 's' step 2 follows step 2 of scenario 's' (a step goes back");
  EXPECT_HAS(error({Mark("s", 2, 0, "f: line 1")}), "step 2 follows no step of it");
  EXPECT_HAS(error({Mark("s", 1, 0, "a"), Mark("t", 2, 0, "f: line 2")}),
             "scenario 't' step 2 follows step 1 of scenario 's'");
}

TEST(Sessions, FromSteps) {
  std::vector<std::string> tags = {"", "login", "profile"};
  std::vector<StepPlan> steps = {{"login", 0, "p:1:1"}, {"profile", 5, "p:4:1"}};
  absl::StatusOr<SessionTable> t = SessionsFromSteps(steps, "checkout", {1, 2, 1, 2, 2, 0}, &tags);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(tags.back(), "checkout");
  ASSERT_EQ(t->count(), 3u);            // three profile records
  EXPECT_EQ(t->Step(2, 0).record, 0u);  // login records round-robin: 0, 2, 0
  EXPECT_EQ(t->Step(2, 1).record, 4u);
  EXPECT_EQ(t->Step(1, 1).sleep_ns, 5);
  steps[1].tag = "profle";
  absl::StatusOr<SessionTable> bad = SessionsFromSteps(steps, "x", {1, 2}, &tags);
  ASSERT_FALSE(bad.ok());
  EXPECT_HAS(bad.status().message(),
             "p:4:1: scenario.steps: no ammo record has the tag \"profle\"");
}

}  // namespace
}  // namespace incarne::scenario
