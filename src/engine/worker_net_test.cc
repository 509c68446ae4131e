// The worker's network paths on loopback, with small nibs defined here against nib.h: TCP
// keep-alive against the built-in sink, connection refused, the whole-hit timeout, the silent
// retry of a stale kept-alive connection, UDP datagrams, the answ capture through a nib's
// tap_replies/last_error hooks, and the io_uring fallbacks
// (no DEFER_TASKRUN, one-shot receives). Hermetic: port 0 everywhere, no sleeps for timing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/target.h"
#include "engine/worker.h"
#include "engine/worker_testing.h"
#include "gtest/gtest.h"
#include "results/answ.h"
#include "results/result_ring.h"
#include "sink/sink.h"
#include "util/clock.h"

namespace incarne {
namespace {

// ---- a minimal HTTP-ish nib: the reply is complete once "\r\n\r\n" and the 2-byte body
// ("xx" from the sink, "ok" from the test servers) were seen.
struct MatchState {
  uint32_t matched;  // bytes of the terminator matched so far
  uint32_t body;
};

int TcpStart(void*, void* state, const incarne_nib_request* req, incarne_nib_out* out) {
  auto* s = static_cast<MatchState*>(state);
  s->matched = 0;
  s->body = 0;
  out->send = req->data;
  out->send_len = req->len;
  return INCARNE_NIB_WANT_RECV;
}

int TcpRecv(void*, void* state, const void* data, uint32_t len, incarne_nib_out* out) {
  auto* s = static_cast<MatchState*>(state);
  if (len == 0) {
    return -ECONNRESET;
  }
  static constexpr char kEnd[] = "\r\n\r\n";
  const char* p = static_cast<const char*>(data);
  for (uint32_t i = 0; i < len; ++i) {
    if (s->matched < 4) {
      s->matched = p[i] == kEnd[s->matched] ? s->matched + 1 : (p[i] == '\r' ? 1 : 0);
    } else if (++s->body == 2) {
      out->proto_code = 200;
      return INCARNE_NIB_DONE;
    }
  }
  return INCARNE_NIB_WANT_RECV;
}

const incarne_nib kTcpNib = {
    .abi_version = INCARNE_NIB_ABI_VERSION,
    .struct_size = sizeof(incarne_nib),
    .name = "test-tcp",
    .description = "",
    .transport = INCARNE_NIB_TRANSPORT_TCP,
    .capabilities = 0,
    .state_size = sizeof(MatchState),
    .reserved0 = 0,
    .create = nullptr,
    .destroy = nullptr,
    .worker_init = nullptr,
    .worker_fini = nullptr,
    .on_open = nullptr,
    .on_start = TcpStart,
    .on_sent = nullptr,
    .on_recv = TcpRecv,
    .on_close = nullptr,
};

// ---- UDP: one datagram out, any datagram back completes the hit.
int UdpStart(void*, void*, const incarne_nib_request* req, incarne_nib_out* out) {
  out->send = req->data;
  out->send_len = req->len;
  return INCARNE_NIB_WANT_RECV;
}
int UdpRecv(void*, void*, const void*, uint32_t len, incarne_nib_out* out) {
  out->size_in = len;
  return INCARNE_NIB_DONE;
}
const incarne_nib kUdpNib = {
    .abi_version = INCARNE_NIB_ABI_VERSION,
    .struct_size = sizeof(incarne_nib),
    .name = "test-udp",
    .description = "",
    .transport = INCARNE_NIB_TRANSPORT_UDP,
    .capabilities = 0,
    .state_size = 0,
    .reserved0 = 0,
    .create = nullptr,
    .destroy = nullptr,
    .worker_init = nullptr,
    .worker_fini = nullptr,
    .on_open = nullptr,
    .on_start = UdpStart,
    .on_sent = nullptr,
    .on_recv = UdpRecv,
    .on_close = nullptr,
};

constexpr char kRequest[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";

void GetRequest(const void*, uint64_t, incarne_nib_request* out) {
  out->data = kRequest;
  out->len = sizeof(kRequest) - 1;
}

using test_support::Every100us;
using test_support::Loopback;
using test_support::PortOf;

class NetFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    shared_.requests.count = 1;
    shared_.requests.get = &GetRequest;
    shared_.shots = ShotSource{ShotSource::Model::kRps, &Every100us, nullptr, 200};
    shared_.instances = 4;
    shared_.timeout_ns = 2'000'000'000;
    shared_.nib = &kTcpNib;
  }

  void Target(uint16_t port) { shared_.target = Loopback(port, &shared_.target_len); }

  std::vector<HitRecord> RunOne(WorkerOptions o = {}) {
    test_support::WorkerRun run = test_support::RunOneWorker(&shared_, o);
    stats_ = run.stats;
    setup_ = std::move(run.setup);
    return std::move(run.records);
  }

  EngineShared shared_;
  WorkerStats stats_;
  std::string setup_;
};

class SinkThread {
 public:
  SinkThread() {
    SinkOptions o;
    o.listen = "127.0.0.1:0";
    auto s = Sink::Create(o);
    EXPECT_TRUE(s.ok()) << s.status();
    sink_ = std::move(*s);
    thread_ = std::thread([this] { (void)sink_->Run(&stop_); });
  }
  ~SinkThread() {
    stop_.store(true);
    thread_.join();
  }
  uint16_t port() const {
    const std::string& a = sink_->address();
    return static_cast<uint16_t>(std::stoi(a.substr(a.rfind(':') + 1)));
  }
  const Sink& sink() const { return *sink_; }

 private:
  std::unique_ptr<Sink> sink_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void ExpectKeepAlive(const std::vector<HitRecord>& recs, const WorkerStats& stats) {
  ASSERT_EQ(recs.size(), 200u);
  int reused = 0;
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, 0);
    EXPECT_EQ(r.proto_code, 200);
    EXPECT_EQ(r.size_out, sizeof(kRequest) - 1);
    EXPECT_GT(r.size_in, 0u);
    EXPECT_LE(r.start, r.connected);
    EXPECT_LE(r.connected, r.sent);
    EXPECT_LE(r.sent, r.first_byte);
    EXPECT_LE(r.first_byte, r.done);
    reused += (r.flags & kHitReused) != 0;
  }
  EXPECT_LE(stats.connects, 4u);  // one connection per instance, kept alive
  EXPECT_GE(reused, 196);
}

TEST_F(NetFixture, TcpKeepAliveAgainstTheSink) {
  SinkThread sink;
  Target(sink.port());
  std::vector<HitRecord> recs = RunOne();
  ExpectKeepAlive(recs, stats_);
  EXPECT_NE(setup_.find("multishot"), std::string::npos) << setup_;
  // Every reply (one segment each) was stamped by the kernel, not at reap time.
  EXPECT_NE(setup_.find("reply times: kernel"), std::string::npos) << setup_;
  EXPECT_EQ(stats_.rx_stamped, 200u);
}

TEST_F(NetFixture, ReapTimeStampsWithoutKernelTimestamps) {
  SinkThread sink;
  Target(sink.port());
  WorkerOptions o;
  o.allow_rx_timestamps = false;
  std::vector<HitRecord> recs = RunOne(o);
  ExpectKeepAlive(recs, stats_);
  EXPECT_NE(setup_.find("reply times: reap time"), std::string::npos) << setup_;
  EXPECT_EQ(stats_.rx_stamped, 0u);
}

TEST_F(NetFixture, FallbacksWithoutDeferTaskrunAndMultishot) {
  SinkThread sink;
  Target(sink.port());
  WorkerOptions o;
  o.allow_defer_taskrun = false;
  o.allow_recv_multishot = false;
  std::vector<HitRecord> recs = RunOne(o);
  ExpectKeepAlive(recs, stats_);
  EXPECT_EQ(setup_.find("defer_taskrun"), std::string::npos) << setup_;
  EXPECT_NE(setup_.find("one-shot"), std::string::npos) << setup_;
  EXPECT_EQ(stats_.rx_stamped, 0u);  // kernel stamps need the multishot RECVMSG
}

int64_t AllAtOnce(const void*, uint64_t) { return 0; }

// The receive buffers start at one and grow when a pass runs out: 64 connections whose
// replies land together find no buffer (ENOBUFS), each such receive is re-armed and its reply
// read in a later pass — no hit lost, none stalled into the timeout — and the pool grows by
// what the passes missed, never beyond its room (two buffers per slot).
TEST_F(NetFixture, ReceivesOutOfBuffersAreRearmedAndThePoolGrows) {
  SinkThread sink;
  Target(sink.port());
  shared_.shots = ShotSource{ShotSource::Model::kRps, &AllAtOnce, nullptr, 640};
  shared_.instances = 64;
  WorkerOptions o;
  o.recv_buffers_start = 1;
  std::vector<HitRecord> recs = RunOne(o);
  ASSERT_EQ(recs.size(), 640u);
  for (const HitRecord& r : recs) {
    ASSERT_EQ(r.net_code, 0);
    ASSERT_EQ(r.proto_code, 200);
    ASSERT_LT(r.done - r.start, 1'000'000'000u);  // re-armed at once, not left to the timeout
  }
  EXPECT_GT(stats_.recv_nobufs, 0u);
  EXPECT_GT(stats_.recv_buffers, 1u);
  EXPECT_LE(stats_.recv_buffers, 128u);
  EXPECT_LE(stats_.connects, 64u);
}

TEST_F(NetFixture, ConnectionRefusedIsANetCode) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  socklen_t len;
  sockaddr_storage a = Loopback(0, &len);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
  const uint16_t port = PortOf(fd);
  close(fd);  // nothing listens there now
  Target(port);
  shared_.shots.count = 20;
  std::vector<HitRecord> recs = RunOne();
  ASSERT_EQ(recs.size(), 20u);
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, ECONNREFUSED);
    EXPECT_EQ(r.size_out, 0u);
  }
}

TEST_F(NetFixture, SilentServerTimesOutAfterTheWholeHitBudget) {
  // Listening but never accepting: connects complete in the backlog, nothing ever replies.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  socklen_t len;
  sockaddr_storage a = Loopback(0, &len);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(listen(fd, 64), 0);
  Target(PortOf(fd));
  shared_.shots.count = 8;
  shared_.timeout_ns = 50'000'000;
  std::vector<HitRecord> recs = RunOne();
  close(fd);
  ASSERT_EQ(recs.size(), 8u);
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, ETIMEDOUT);
    EXPECT_GE(r.done - r.start, 50'000'000u);
    EXPECT_LT(r.done - r.start, 1'000'000'000u);
  }
}

TEST_F(NetFixture, StaleKeptAliveConnectionIsRetriedOnce) {
  // A server that answers one request per connection and closes it when the next request
  // arrives, without saying so: that hit meets EOF before any reply byte and is resent once
  // on a fresh connection (phantom's stale keep-alive recovery).
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  socklen_t len;
  sockaddr_storage a = Loopback(0, &len);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(listen(lfd, 64), 0);
  std::atomic<bool> stop{false};
  std::thread server([lfd, &stop] {
    const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    while (!stop.load()) {
      int c = accept(lfd, nullptr, nullptr);
      if (c < 0) {
        break;
      }
      // Serve one request; then wait for the next one and close without a word.
      for (int served = 0; served < 2; ++served) {
        char buf[4096];
        std::string got;
        while (got.find("\r\n\r\n") == std::string::npos) {
          ssize_t n = read(c, buf, sizeof(buf));
          if (n <= 0) {
            break;
          }
          got.append(buf, static_cast<size_t>(n));
        }
        if (got.empty() || served == 1) {
          break;
        }
        (void)!write(c, reply, sizeof(reply) - 1);
      }
      close(c);
    }
  });
  Target(PortOf(lfd));
  shared_.instances = 1;
  shared_.shots.count = 10;
  std::vector<HitRecord> recs = RunOne();
  stop.store(true);
  shutdown(lfd, SHUT_RDWR);
  close(lfd);
  server.join();
  ASSERT_EQ(recs.size(), 10u);
  int retried = 0;
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, 0);
    EXPECT_EQ(r.proto_code, 200);
    retried += (r.flags & kHitRetried) != 0;
  }
  EXPECT_EQ(retried, 9);  // every hit but the first found its connection closed
  EXPECT_EQ(stats_.retries, 9u);
}

TEST_F(NetFixture, UdpOneDatagramPerHit) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  socklen_t len;
  sockaddr_storage a = Loopback(0, &len);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
  std::atomic<int> datagrams{0};
  std::thread echo([fd, &datagrams] {
    char buf[2048];
    for (;;) {
      sockaddr_storage from{};
      socklen_t flen = sizeof(from);
      ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n <= 0 || (n == 4 && memcmp(buf, "quit", 4) == 0)) {
        break;
      }
      ++datagrams;
      sendto(fd, "pong", 4, 0, reinterpret_cast<sockaddr*>(&from), flen);
    }
  });
  Target(PortOf(fd));
  shared_.nib = &kUdpNib;
  std::vector<HitRecord> recs = RunOne();
  int q = socket(AF_INET, SOCK_DGRAM, 0);
  sendto(q, "quit", 4, 0, reinterpret_cast<const sockaddr*>(&shared_.target), shared_.target_len);
  close(q);
  echo.join();
  close(fd);
  ASSERT_EQ(recs.size(), 200u);
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, 0);
    EXPECT_EQ(r.size_out, sizeof(kRequest) - 1);
    EXPECT_EQ(r.size_in, 4u);
  }
  EXPECT_EQ(datagrams.load(), 200);
}

// ---- a handshake nib (the shape of TLS over the engine): on_open sends "HELLO\n", the
// server's "WELCOME\n" makes the connection READY together with a last handshake line
// "FIN\n"; the request goes out in two pieces ("PI" from on_start, "NG\n" from on_sent);
// the reply "OK PING\n" completes the hit.
struct LineState {
  char line[64];
  uint32_t len;
  uint32_t phase;  // 0 handshake, 1 first half sent, 2 waiting for the reply
  uint32_t opens;
};
std::atomic<int> g_opens{0};
std::atomic<int> g_closes{0};

int LineOpen(void*, void* state, incarne_nib_out* out) {
  auto* s = static_cast<LineState*>(state);
  EXPECT_EQ(s->len, 0u);  // zero-filled before on_open
  ++g_opens;
  out->send = "HELLO\n";
  out->send_len = 6;
  return INCARNE_NIB_WANT_RECV;
}
int LineStart(void*, void* state, const incarne_nib_request*, incarne_nib_out* out) {
  auto* s = static_cast<LineState*>(state);
  s->phase = 1;
  s->len = 0;
  out->send = "PI";
  out->send_len = 2;
  return INCARNE_NIB_WANT_RECV;
}
int LineSent(void*, void* state, incarne_nib_out* out) {
  auto* s = static_cast<LineState*>(state);
  if (s->phase == 1) {
    s->phase = 2;
    out->send = "NG\n";
    out->send_len = 3;
  }
  return INCARNE_NIB_WANT_RECV;
}
int LineRecv(void*, void* state, const void* data, uint32_t len, incarne_nib_out* out) {
  auto* s = static_cast<LineState*>(state);
  if (len == 0) {
    return -ECONNRESET;
  }
  const char* p = static_cast<const char*>(data);
  for (uint32_t i = 0; i < len; ++i) {
    if (p[i] != '\n') {
      if (s->len < sizeof(s->line)) {
        s->line[s->len++] = p[i];
      }
      continue;
    }
    std::string line(s->line, s->len);
    s->len = 0;
    if (line == "WELCOME") {
      out->send = "FIN\n";
      out->send_len = 4;
      return INCARNE_NIB_READY;
    }
    if (line == "OK PING" && s->phase == 2) {
      out->proto_code = 250;
      return INCARNE_NIB_DONE;
    }
    return -EPROTO;
  }
  return INCARNE_NIB_WANT_RECV;
}
void LineClose(void*, void*) { ++g_closes; }

const incarne_nib kLineNib = {
    .abi_version = INCARNE_NIB_ABI_VERSION,
    .struct_size = sizeof(incarne_nib),
    .name = "test-line",
    .description = "",
    .transport = INCARNE_NIB_TRANSPORT_TCP,
    .capabilities = 0,
    .state_size = sizeof(LineState),
    .reserved0 = 0,
    .create = nullptr,
    .destroy = nullptr,
    .worker_init = nullptr,
    .worker_fini = nullptr,
    .on_open = LineOpen,
    .on_start = LineStart,
    .on_sent = LineSent,
    .on_recv = LineRecv,
    .on_close = LineClose,
};

TEST_F(NetFixture, HandshakeReadyWithBytesAndSendContinuation) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  socklen_t len;
  sockaddr_storage a = Loopback(0, &len);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(listen(lfd, 64), 0);
  std::atomic<int> fins{0};
  std::vector<std::thread> conns;
  std::thread server([lfd, &fins, &conns] {
    for (;;) {
      int c = accept(lfd, nullptr, nullptr);
      if (c < 0) {
        break;
      }
      conns.emplace_back([c, &fins] {
        std::string buf;
        char tmp[256];
        for (;;) {
          ssize_t n = read(c, tmp, sizeof(tmp));
          if (n <= 0) {
            break;
          }
          buf.append(tmp, static_cast<size_t>(n));
          size_t nl;
          while ((nl = buf.find('\n')) != std::string::npos) {
            std::string line = buf.substr(0, nl);
            buf.erase(0, nl + 1);
            if (line == "HELLO") {
              (void)!write(c, "WELCOME\n", 8);
            } else if (line == "FIN") {
              ++fins;  // the last handshake bytes arrived before the first request
            } else {
              std::string reply = "OK " + line + "\n";
              (void)!write(c, reply.data(), reply.size());
            }
          }
        }
        close(c);
      });
    }
  });
  Target(PortOf(lfd));
  shared_.nib = &kLineNib;
  shared_.instances = 2;
  shared_.shots.count = 50;
  g_opens = 0;
  g_closes = 0;
  std::vector<HitRecord> recs = RunOne();
  shutdown(lfd, SHUT_RDWR);
  close(lfd);
  server.join();
  for (auto& t : conns) {
    t.join();
  }
  ASSERT_EQ(recs.size(), 50u);
  int first = 0;
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, 0);
    EXPECT_EQ(r.proto_code, 250);
    if ((r.flags & kHitReused) != 0) {
      EXPECT_EQ(r.size_out, 5u);  // "PI" + "NG\n"
    } else {
      EXPECT_EQ(r.size_out, 15u);  // the hit that opened the connection also sent its handshake
      ++first;
    }
  }
  EXPECT_EQ(first, 2);
  EXPECT_EQ(g_opens.load(), 2);
  EXPECT_EQ(g_closes.load(), 2);  // every on_open is paired with an on_close at the end
  EXPECT_EQ(fins.load(), 2);
}

// ---- a nib that transforms bytes (as TLS does) and hands the engine what it decoded through
// tap_replies, and a reason through last_error: the answ log must hold the decoded bytes, not
// the received ones, and "incarne: <reason>" for a hit the nib failed.
struct TapNibGlobals {
  incarne_nib_tap tap = nullptr;
  void* tap_ctx = nullptr;
  bool fail = false;  // on_recv fails every hit with -EPROTO and a reason
};
TapNibGlobals g_tap;

int TapRecv(void* w, void* state, const void* data, uint32_t len, incarne_nib_out* out) {
  if (g_tap.fail) {
    return -EPROTO;
  }
  // "Decoding": upper-case letters; only the decoded bytes go to the tap.
  char decoded[4096];
  const uint32_t n = std::min<uint32_t>(len, sizeof(decoded));
  for (uint32_t i = 0; i < n; ++i) {
    const char c = static_cast<const char*>(data)[i];
    decoded[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  if (g_tap.tap != nullptr && n != 0) {
    g_tap.tap(g_tap.tap_ctx, state, decoded, n);
  }
  const int r = TcpRecv(w, state, data, len, out);
  return r;
}
void TapReplies(void*, incarne_nib_tap tap, void* tap_ctx) {
  g_tap.tap = tap;
  g_tap.tap_ctx = tap_ctx;
}
const char* TapLastError(void*) { return "decode: fake reason for the test"; }

const incarne_nib kTapNib = {
    .abi_version = INCARNE_NIB_ABI_VERSION,
    .struct_size = sizeof(incarne_nib),
    .name = "test-tap",
    .description = "",
    .transport = INCARNE_NIB_TRANSPORT_TCP,
    .capabilities = INCARNE_NIB_CAP_TLS,
    .state_size = sizeof(MatchState),
    .reserved0 = 0,
    .create = nullptr,
    .destroy = nullptr,
    .worker_init = nullptr,
    .worker_fini = nullptr,
    .on_open = nullptr,
    .on_start = TcpStart,
    .on_sent = nullptr,
    .on_recv = TapRecv,
    .on_close = nullptr,
    .report = nullptr,
    .tap_replies = TapReplies,
    .last_error = TapLastError,
};

struct AnswSeen {
  uint64_t entries = 0;
  std::vector<std::string> replies;
  std::vector<uint32_t> size_in;
  std::vector<uint16_t> net_code;
};

AnswSeen DrainAnsw(AnswRing* ring) {
  AnswSeen seen;
  ring->Drain([&](const AnswEntryHeader& h, std::span<const uint8_t> reply) {
    ++seen.entries;
    seen.replies.emplace_back(reinterpret_cast<const char*>(reply.data()), reply.size());
    seen.size_in.push_back(h.rec.size_in);
    seen.net_code.push_back(h.rec.net_code);
  });
  return seen;
}

// ---- a nib that transforms bytes (INCARNE_NIB_CAP_TLS) reports its hits' application bytes:
// the engine records them, never the bytes it sent or received (docs/results.md "Byte counts").
int SizedStart(void* w, void* state, const incarne_nib_request* req, incarne_nib_out* out) {
  const int r = TcpStart(w, state, req, out);
  out->size_out = 7;  // "the plaintext": fewer bytes than went out
  return r;
}
int SizedRecv(void* w, void* state, const void* data, uint32_t len, incarne_nib_out* out) {
  const int r = TcpRecv(w, state, data, len, out);
  if (r == INCARNE_NIB_DONE) {
    out->size_in = 3;
  }
  return r;
}
const incarne_nib kSizedNib = {
    .abi_version = INCARNE_NIB_ABI_VERSION,
    .struct_size = sizeof(incarne_nib),
    .name = "test-sized",
    .description = "",
    .transport = INCARNE_NIB_TRANSPORT_TCP,
    .capabilities = INCARNE_NIB_CAP_TLS,
    .state_size = sizeof(MatchState),
    .reserved0 = 0,
    .create = nullptr,
    .destroy = nullptr,
    .worker_init = nullptr,
    .worker_fini = nullptr,
    .on_open = nullptr,
    .on_start = SizedStart,
    .on_sent = nullptr,
    .on_recv = SizedRecv,
    .on_close = nullptr,
};

TEST_F(NetFixture, ATlsNibsHitsCountTheBytesItReports) {
  SinkThread sink;
  Target(sink.port());
  shared_.nib = &kSizedNib;
  shared_.shots.count = 20;
  std::vector<HitRecord> recs = RunOne();
  ASSERT_EQ(recs.size(), 20u);
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, 0);
    EXPECT_EQ(r.size_out, 7u) << "the nib's application bytes, not the " << sizeof(kRequest) - 1
                              << " sent";
    EXPECT_EQ(r.size_in, 3u);
  }
}

TEST_F(NetFixture, AnswGetsWhatTheNibDecodedThroughTheTap) {
  SinkThread sink;
  Target(sink.port());
  shared_.nib = &kTapNib;
  shared_.shots.count = 20;
  shared_.answ_filter = AnswFilter::kAll;
  g_tap = TapNibGlobals{};
  AnswRing answ(1 << 20);
  WorkerOptions o;
  o.answ = &answ;
  std::vector<HitRecord> recs = RunOne(o);
  ASSERT_EQ(recs.size(), 20u);
  ASSERT_NE(g_tap.tap, nullptr);  // the engine registered its tap
  AnswSeen seen = DrainAnsw(&answ);
  ASSERT_EQ(seen.entries, 20u);
  for (size_t i = 0; i < seen.replies.size(); ++i) {
    const std::string& r = seen.replies[i];
    EXPECT_EQ(seen.net_code[i], 0);
    // The sink's reply decoded: upper-case, and none of the received lower-case bytes.
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find("CONTENT-LENGTH: 2"), std::string::npos) << r;
    EXPECT_EQ(r.find("Content-Length"), std::string::npos) << r;
    EXPECT_EQ(r.substr(r.size() - 2), "XX");
    EXPECT_EQ(seen.size_in[i], r.size());  // the entry's size_in counts what was tapped
  }
}

TEST_F(NetFixture, AnswGetsTheNibsReasonForAFailedHit) {
  SinkThread sink;
  Target(sink.port());
  shared_.nib = &kTapNib;
  shared_.shots.count = 10;
  shared_.instances = 1;
  shared_.answ_filter = AnswFilter::kTransportError;
  g_tap = TapNibGlobals{};
  g_tap.fail = true;
  AnswRing answ(1 << 20);
  WorkerOptions o;
  o.answ = &answ;
  std::vector<HitRecord> recs = RunOne(o);
  ASSERT_EQ(recs.size(), 10u);
  AnswSeen seen = DrainAnsw(&answ);
  ASSERT_EQ(seen.entries, 10u);
  const std::string want = "incarne: decode: fake reason for the test";
  for (size_t i = 0; i < seen.replies.size(); ++i) {
    EXPECT_EQ(seen.net_code[i], EPROTO);
    EXPECT_EQ(seen.replies[i], want);
    EXPECT_EQ(seen.size_in[i], want.size());
  }
}

}  // namespace
}  // namespace incarne
