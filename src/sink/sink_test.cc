// The sink as a client sees it: keep-alive, pipelined requests in one write, requests split
// into single bytes, bodies skipped by Content-Length, HEAD, HTTP/1.0 and Connection: close,
// a chunked body refused with 501, port 0.
#include "sink/sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace incarne {
namespace {

class SinkFixture : public ::testing::Test {
 protected:
  void Start(uint64_t body_size = 2) {
    SinkOptions o;
    o.listen = "127.0.0.1:0";
    o.body_size = body_size;
    auto s = Sink::Create(o);
    ASSERT_TRUE(s.ok()) << s.status();
    sink_ = std::move(*s);
    port_ =
        static_cast<uint16_t>(std::stoi(sink_->address().substr(sink_->address().rfind(':') + 1)));
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { status_ = sink_->Run(&stop_); });
  }
  void TearDown() override {
    stop_.store(true);
    if (thread_.joinable()) {
      thread_.join();
    }
    EXPECT_TRUE(status_.ok()) << status_;
  }
  int Connect() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
  }
  static void Send(int fd, const std::string& s) {
    ASSERT_EQ(write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  // Reads until `count` occurrences of `marker` arrived, or EOF (then *eof = true).
  static std::string ReadUntil(int fd, const std::string& marker, int count, bool* eof) {
    std::string got;
    *eof = false;
    auto occurrences = [&] {
      int n = 0;
      for (size_t p = got.find(marker); p != std::string::npos; p = got.find(marker, p + 1)) {
        ++n;
      }
      return n;
    };
    char buf[65536];
    while (occurrences() < count) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) {
        *eof = true;
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }

  std::unique_ptr<Sink> sink_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  absl::Status status_;
};

constexpr char kGet[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

TEST_F(SinkFixture, KeepAliveAndPipelining) {
  Start();
  int fd = Connect();
  std::string many;
  for (int i = 0; i < 50; ++i) {
    many += kGet;
  }
  Send(fd, many);
  bool eof;
  std::string got = ReadUntil(fd, "HTTP/1.1 200 OK", 50, &eof);
  EXPECT_FALSE(eof);
  // Exactly 50 complete replies, each with its 2-byte body.
  std::string one = got.substr(0, got.find("HTTP/1.1 200 OK", 1));
  EXPECT_NE(one.find("Content-Length: 2\r\n\r\nxx"), std::string::npos) << one;
  while (got.size() < one.size() * 50 && !eof) {
    got += ReadUntil(fd, "xx", 1, &eof);
  }
  EXPECT_EQ(got.size(), one.size() * 50);
  Send(fd, kGet);  // still open: keep-alive
  got = ReadUntil(fd, "xx", 1, &eof);
  EXPECT_FALSE(eof);
  close(fd);
  EXPECT_EQ(sink_->stats().requests, 51u);
}

TEST_F(SinkFixture, RequestsSplitIntoSingleBytes) {
  Start();
  int fd = Connect();
  const std::string req = std::string("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello") + kGet;
  for (char c : req) {
    Send(fd, std::string(1, c));
  }
  bool eof;
  std::string got = ReadUntil(fd, "HTTP/1.1 200 OK", 2, &eof);
  EXPECT_FALSE(eof);
  close(fd);
}

TEST_F(SinkFixture, HeadHttp10AndClose) {
  Start(1000);
  int fd = Connect();
  Send(fd, "HEAD / HTTP/1.1\r\n\r\n");
  bool eof;
  std::string got = ReadUntil(fd, "\r\n\r\n", 1, &eof);
  EXPECT_NE(got.find("Content-Length: 1000"), std::string::npos);
  Send(fd, "GET / HTTP/1.0\r\n\r\n");
  got = ReadUntil(fd, "never", 1, &eof);
  EXPECT_TRUE(eof);  // HTTP/1.0 without keep-alive: closed after the reply
  EXPECT_EQ(got.size(), got.find("\r\n\r\n") + 4 + 1000);  // HEAD sent no body
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
  close(fd);
  fd = Connect();
  Send(fd, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  got = ReadUntil(fd, "never", 1, &eof);
  EXPECT_TRUE(eof);
  EXPECT_NE(got.find("200 OK"), std::string::npos);
  close(fd);
}

TEST_F(SinkFixture, ChunkedBodyIsRefused) {
  Start();
  int fd = Connect();
  Send(fd, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  bool eof;
  std::string got = ReadUntil(fd, "never", 1, &eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(got.rfind("HTTP/1.1 501", 0), 0u) << got;
  close(fd);
}

TEST(SinkCreate, RejectsBadAddresses) {
  SinkOptions o;
  o.listen = "127.0.0.1";
  EXPECT_EQ(Sink::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.listen = "127.0.0.1:99999";
  EXPECT_EQ(Sink::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace incarne
