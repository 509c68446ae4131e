#include "engine/target.h"

#include "gtest/gtest.h"

namespace incarne {
namespace {

TEST(ParseHostPort, Forms) {
  auto a = ParseHostPort("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  auto b = ParseHostPort("[::1]:443");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 443);
  auto c = ParseHostPort("example.com:80");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "example.com");
}

TEST(ParseHostPort, Errors) {
  for (const char* bad : {"", "host", "host:", ":80", "host:0", "host:65536", "host:-1", "host:+1",
                          "::1:80", "[::1]80", "[::1:80", "host:8x"}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseHostPort("host:0", /*allow_port_zero=*/true).ok());
}

TEST(Resolve, NumericAndFamily) {
  auto r = Resolve(HostPort{"127.0.0.1", 80}, Family::kAny, SOCK_STREAM);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text, "127.0.0.1:80");
  auto v6 = Resolve(HostPort{"::1", 80}, Family::kIpv6, SOCK_STREAM);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->text, "[::1]:80");
  EXPECT_FALSE(Resolve(HostPort{"127.0.0.1", 80}, Family::kIpv6, SOCK_STREAM).ok());
  auto bad = Resolve(HostPort{"no-such-host.invalid", 80}, Family::kAny, SOCK_STREAM);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnavailable);
}

TEST(ParseSourceIps, NumericOnly) {
  EXPECT_TRUE(ParseSourceIps({"127.0.0.1", "::1"}).ok());
  EXPECT_FALSE(ParseSourceIps({"localhost"}).ok());
}

}  // namespace
}  // namespace incarne
