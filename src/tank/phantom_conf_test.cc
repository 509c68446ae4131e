#include "tank/phantom_conf.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace incarne {
namespace {

std::string ReadData(const std::string& rel) {
  std::ifstream in(std::string(INCARNE_SOURCE_ROOT) + "/tests/data/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PhantomConf, ReadsTankTemplate) {
  std::string text = ReadData("phantom/tank.conf");
  ASSERT_FALSE(text.empty());
  auto cfg = ReadPhantomConfig(text, "tank.conf");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  ASSERT_EQ(cfg->streams.size(), 1u);
  const PhantomStream& s = cfg->streams[0];
  EXPECT_EQ(s.name, "benchmark_io");
  EXPECT_FALSE(s.ipv6);
  EXPECT_EQ(s.address, "127.0.0.1");
  EXPECT_EQ(s.port, 8080);
  EXPECT_EQ(s.timeout_ns, 11 * kNsPerSec);
  EXPECT_EQ(s.stpd, "ammo.stpd");
  EXPECT_EQ(s.phout, "phout_x.log");
  EXPECT_EQ(s.answ, "");  // benchmark_logger is commented out of `loggers`
  EXPECT_EQ(s.instances, 1000u);
  EXPECT_FALSE(s.ssl);
  EXPECT_FALSE(s.proto_none);
  EXPECT_EQ(s.http.max_entity, 8u << 20);
  EXPECT_EQ(s.http.max_field, 8192u);
  EXPECT_EQ(s.http.max_line, 1024u);
  EXPECT_EQ(cfg->stat_log, "phantom_stat_x.log");
  EXPECT_EQ(cfg->phantom_log, "phantom_x.log");
  EXPECT_EQ(cfg->threads, 2u);
}

TEST(PhantomConf, MultiStreamSslBindAnsw) {
  std::string text = R"(
io_t benchmark_io = io_benchmark_t {
  method_t stream_method = method_stream_ipv6_t {
    logger_t a = logger_default_t { filename = "answ.log" level = proto_warning }
    logger_t b = logger_brief_t { filename = "phout.log" time_format = unix }
    loggers = { b a }
    source_t source_log = source_log_t { filename = "s.stpd" }
    transport_t ssl_transport = transport_ssl_t {
      timeout = 1s
      auth_t def_auth = auth_t { key = "k.pem" cert = "c.pem"} auth = def_auth
      ciphers = "ECDHE"
    }
    transport = ssl_transport
    proto_t none_proto = proto_none_t { }
    proto = none_proto
    address = ::1
    port = 443
    bind = { 127.0.0.2 127.0.0.3 }
    timeout = 1m30s
    source = source_log
  }
  method = stream_method
  instances = 7
}
io_t benchmark_io1 = io_benchmark_t {
  method_t stream_method = method_stream_ipv4_t {
    source_t source_log = source_log_t { filename = "t.stpd" }
    address = 10.0.0.1
    source = source_log
  }
  method = stream_method
}
)";
  auto cfg = ReadPhantomConfig(text, "multi.conf");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  ASSERT_EQ(cfg->streams.size(), 2u);
  const PhantomStream& s = cfg->streams[0];
  EXPECT_TRUE(s.ipv6);
  EXPECT_TRUE(s.ssl);
  EXPECT_EQ(s.ssl_key, "k.pem");
  EXPECT_EQ(s.ssl_cert, "c.pem");
  EXPECT_EQ(s.ssl_ciphers, "ECDHE");
  EXPECT_TRUE(s.proto_none);
  EXPECT_EQ(s.port, 443);
  EXPECT_EQ(s.bind, (std::vector<std::string>{"127.0.0.2", "127.0.0.3"}));
  EXPECT_EQ(s.timeout_ns, 90 * kNsPerSec);
  EXPECT_EQ(s.answ, "answ.log");
  EXPECT_EQ(s.answ_level, "proto_warning");
  EXPECT_EQ(s.instances, 7u);
  EXPECT_EQ(cfg->streams[1].name, "benchmark_io1");
  EXPECT_EQ(cfg->streams[1].port, 80);
  EXPECT_EQ(cfg->streams[1].instances, 16u);
  EXPECT_EQ(cfg->streams[1].timeout_ns, kNsPerSec);
}

TEST(PhantomConf, ErrorsNamePosition) {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"io_t x = io_benchmark_t {", "c.conf:1:26: expected '}'"},
      {"}", "c.conf:1:1:"},
      {"a = \"open", "c.conf:1:5: expected a closing"},
      {"a = b", "c.conf:1:1: expected at least one"},
      {"io_t x = io_benchmark_t { instances = 0 method = m }", "c.conf:1:39: expected instances"},
      {"io_t x = io_benchmark_t {\n method = m\n}", "c.conf:2:11: expected a method definition"},
      {"io_t x = io_benchmark_t {\n method_t m = method_stream_ipv4_t { address = 1.2.3.4 "
       "source = s source_t s = taurus_source_t { } }\n method = m }",
       "c.conf:2:67: expected source_log_t"},
  };
  for (const Case& c : cases) {
    auto cfg = ReadPhantomConfig(c.text, "c.conf");
    ASSERT_FALSE(cfg.ok()) << c.text;
    EXPECT_NE(cfg.status().message().find(c.expect), std::string::npos)
        << "got: " << cfg.status().message() << "\nwant: " << c.expect;
  }
}

TEST(PhantomConf, Intervals) {
  EXPECT_EQ(*ParsePhantomInterval("11000"), 11 * kNsPerSec);
  EXPECT_EQ(*ParsePhantomInterval("1s"), kNsPerSec);
  EXPECT_EQ(*ParsePhantomInterval("1m30s"), 90 * kNsPerSec);
  EXPECT_EQ(*ParsePhantomInterval("2h"), 7200 * kNsPerSec);
  EXPECT_EQ(*ParsePhantomInterval("1w"), 7 * 86400 * kNsPerSec);
  EXPECT_EQ(*ParsePhantomInterval("inf"), INT64_MAX);
  EXPECT_FALSE(ParsePhantomInterval("").ok());
  EXPECT_FALSE(ParsePhantomInterval("1x").ok());
  EXPECT_FALSE(ParsePhantomInterval("1s5").ok());
  EXPECT_FALSE(ParsePhantomInterval("99999999999999999999").ok());
  EXPECT_EQ(*ParsePhantomSize("8K"), 8192u);
  EXPECT_EQ(*ParsePhantomSize("8M"), 8u << 20);
  EXPECT_EQ(*ParsePhantomSize("128"), 128u);
  EXPECT_FALSE(ParsePhantomSize("x").ok());
}

}  // namespace
}  // namespace incarne
