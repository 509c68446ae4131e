// The udp nib through the engine's worker on loopback (TRANSPORT_UDP end to end): exact
// counts against an echo server, one datagram per hit and per reply (boundaries kept), replies
// larger than a receive buffer, a closed port (ICMP → 111), a silent server and dropped
// replies (→ 110), an empty record. Hermetic: port 0 everywhere, no sleeps for timing.
#include "udp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "engine/nib_registry.h"
#include "engine/worker.h"
#include "engine/worker_testing.h"
#include "gtest/gtest.h"
#include "results/result_ring.h"
#include "util/clock.h"

namespace incarne {
namespace {

// Records of lengths 1..kRecords ("aaaa…"), so every hit's reply length is known.
constexpr uint32_t kRecords = 97;
char g_payload[kRecords];

void GetRecord(const void*, uint64_t r, incarne_nib_request* out) {
  out->data = g_payload;
  out->len = static_cast<uint32_t>(r % kRecords) + 1;
}

void GetEmpty(const void*, uint64_t, incarne_nib_request* out) {
  out->data = g_payload;
  out->len = 0;
}

using test_support::Every100us;
using test_support::Loopback;
using test_support::PortOf;

// A UDP server on 127.0.0.1:0 in a thread. `reply(n, k)` gives the length of the reply to the
// k-th datagram (0-based) of n bytes: 0 = no reply, SIZE_MAX = echo it.
class UdpServer {
 public:
  using ReplyFn = size_t (*)(size_t n, uint64_t k);

  explicit UdpServer(ReplyFn reply) : reply_(reply) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    socklen_t len;
    sockaddr_storage a = Loopback(0, &len);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), len), 0);
    int big = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    thread_ = std::thread([this] { Serve(); });
  }
  ~UdpServer() {
    stop_.store(true);
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return PortOf(fd_); }
  uint64_t datagrams() const { return datagrams_.load(); }

 private:
  void Serve() {
    std::vector<char> in(65536);
    std::vector<char> out(65536, 'r');
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) {
        continue;
      }
      sockaddr_storage from{};
      socklen_t flen = sizeof(from);
      ssize_t n = recvfrom(fd_, in.data(), in.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 0) {
        continue;
      }
      const uint64_t k = datagrams_++;
      size_t r = reply_(static_cast<size_t>(n), k);
      if (r == 0) {
        continue;
      }
      const char* data = r == SIZE_MAX ? in.data() : out.data();
      r = r == SIZE_MAX ? static_cast<size_t>(n) : r;
      sendto(fd_, data, r, 0, reinterpret_cast<sockaddr*>(&from), flen);
    }
  }

  ReplyFn reply_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> datagrams_{0};
  std::thread thread_;
};

size_t Echo(size_t, uint64_t) { return SIZE_MAX; }
size_t Silent(size_t, uint64_t) { return 0; }
size_t EchoEveryOther(size_t, uint64_t k) { return k % 2 == 0 ? SIZE_MAX : 0; }
size_t Reply6000(size_t, uint64_t) { return 6000; }

class UdpNibTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memset(g_payload, 'a', sizeof(g_payload));
    shared_.requests.count = kRecords;
    shared_.requests.get = &GetRecord;
    shared_.shots = ShotSource{ShotSource::Model::kRps, &Every100us, nullptr, 200};
    shared_.instances = 4;
    shared_.timeout_ns = 2'000'000'000;
    shared_.nib = UdpNib();
  }

  void Target(uint16_t port) { shared_.target = Loopback(port, &shared_.target_len); }

  std::vector<HitRecord> RunOne(WorkerOptions o = {}) {
    test_support::WorkerRun run = test_support::RunOneWorker(&shared_, o);
    stats_ = run.stats;
    setup_ = std::move(run.setup);
    return std::move(run.records);
  }

  // Every hit against an echo server: ok, and the reply is exactly its own datagram.
  void ExpectEchoed(const std::vector<HitRecord>& recs, const UdpServer& server) {
    ASSERT_EQ(recs.size(), 200u);
    uint64_t out_bytes = 0;
    for (const HitRecord& r : recs) {
      EXPECT_EQ(r.net_code, 0);
      EXPECT_EQ(r.proto_code, 0);
      EXPECT_GE(r.size_out, 1u);
      EXPECT_LE(r.size_out, kRecords);
      EXPECT_EQ(r.size_in, r.size_out);  // one datagram back per datagram out, never merged
      EXPECT_LE(r.start, r.connected);
      EXPECT_LE(r.connected, r.sent);
      EXPECT_LE(r.sent, r.first_byte);
      EXPECT_LE(r.first_byte, r.done);
      out_bytes += r.size_out;
    }
    // Shots 0..199 take records 0..199 mod 97: lengths 1..97, 1..97, 1..6.
    EXPECT_EQ(out_bytes, uint64_t{2} * (97 * 98 / 2) + 6 * 7 / 2);
    EXPECT_EQ(server.datagrams(), 200u);
    EXPECT_LE(stats_.connects, 4u);  // one socket per instance, kept
  }

  EngineShared shared_;
  WorkerStats stats_;
  std::string setup_;
};

TEST(UdpNib, DescriptorIsValidAndBuiltIn) {
  const incarne_nib* nib = UdpNib();
  EXPECT_TRUE(ValidateNib(nib, "udp").ok());
  EXPECT_STREQ(nib->name, "udp");
  EXPECT_EQ(nib->transport, INCARNE_NIB_TRANSPORT_UDP);
  auto found = FindNib("udp");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, nib);
}

TEST(UdpNib, SendsTheRecordAsItIsAndAnyDatagramIsTheReply) {
  const char rec[] = "\x01\x02query";
  incarne_nib_request req{};
  req.data = rec;
  req.len = sizeof(rec) - 1;
  incarne_nib_out out{};
  EXPECT_EQ(UdpNib()->on_start(nullptr, nullptr, &req, &out), INCARNE_NIB_WANT_RECV);
  EXPECT_EQ(out.send, rec);  // zero-copy
  EXPECT_EQ(out.send_len, req.len);
  out = incarne_nib_out{};
  EXPECT_EQ(UdpNib()->on_recv(nullptr, nullptr, "x", 1, &out), INCARNE_NIB_DONE);
  EXPECT_EQ(out.proto_code, 0);
  EXPECT_EQ(out.size_in, 0u);  // the engine counts the datagram's bytes
  out = incarne_nib_out{};
  EXPECT_EQ(UdpNib()->on_recv(nullptr, nullptr, nullptr, 0, &out), INCARNE_NIB_DONE);
  req.len = 0;
  EXPECT_EQ(UdpNib()->on_start(nullptr, nullptr, &req, &out), -EINVAL);
}

TEST_F(UdpNibTest, EchoExactCountsWithKernelTimestamps) {
  UdpServer server(Echo);
  Target(server.port());
  std::vector<HitRecord> recs = RunOne();
  ExpectEchoed(recs, server);
  EXPECT_NE(setup_.find("reply times: kernel"), std::string::npos) << setup_;
  EXPECT_EQ(stats_.rx_stamped, 200u);
}

TEST_F(UdpNibTest, EchoExactCountsWithPlainMultishotRecv) {
  UdpServer server(Echo);
  Target(server.port());
  WorkerOptions o;
  o.allow_rx_timestamps = false;
  std::vector<HitRecord> recs = RunOne(o);
  ExpectEchoed(recs, server);
  EXPECT_NE(setup_.find("multishot"), std::string::npos) << setup_;
}

TEST_F(UdpNibTest, EchoExactCountsWithOneShotRecv) {
  UdpServer server(Echo);
  Target(server.port());
  WorkerOptions o;
  o.allow_recv_multishot = false;
  std::vector<HitRecord> recs = RunOne(o);
  ExpectEchoed(recs, server);
  EXPECT_NE(setup_.find("one-shot"), std::string::npos) << setup_;
}

// A reply larger than one receive buffer (4 KiB): the nib sees the first 4 KiB; with the
// multishot RECVMSG (the default) size_in is the datagram's real size, with plain receives
// it is what was kept. docs/udp.md.
TEST_F(UdpNibTest, RepliesLargerThanABufferAreCountedWhole) {
  UdpServer server(Reply6000);
  Target(server.port());
  shared_.shots.count = 20;
  std::vector<HitRecord> recs = RunOne();
  ASSERT_EQ(recs.size(), 20u);
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, 0);
    EXPECT_EQ(r.size_in, 6000u);
  }
}

TEST_F(UdpNibTest, RepliesLargerThanABufferAreCutWithPlainReceives) {
  UdpServer server(Reply6000);
  Target(server.port());
  shared_.shots.count = 20;
  WorkerOptions o;
  o.allow_rx_timestamps = false;
  std::vector<HitRecord> recs = RunOne(o);
  ASSERT_EQ(recs.size(), 20u);
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, 0);
    EXPECT_EQ(r.size_in, 4096u);
  }
}

TEST_F(UdpNibTest, ClosedPortIsConnectionRefused) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  socklen_t len;
  sockaddr_storage a = Loopback(0, &len);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
  const uint16_t port = PortOf(fd);
  close(fd);  // nothing listens there now: loopback answers ICMP port unreachable
  Target(port);
  shared_.shots.count = 20;
  std::vector<HitRecord> recs = RunOne();
  ASSERT_EQ(recs.size(), 20u);
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, ECONNREFUSED);
  }
}

TEST_F(UdpNibTest, SilentServerTimesOut) {
  UdpServer server(Silent);
  Target(server.port());
  shared_.shots.count = 8;
  shared_.timeout_ns = 50'000'000;
  std::vector<HitRecord> recs = RunOne();
  ASSERT_EQ(recs.size(), 8u);
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, ETIMEDOUT);
    EXPECT_GE(r.done - r.start, 50'000'000u);
    EXPECT_LT(r.done - r.start, 1'000'000'000u);
  }
  EXPECT_EQ(server.datagrams(), 8u);
}

// Every other datagram gets no reply: exactly half the hits time out, and no late or missing
// reply is ever taken for another hit's (a timed-out hit's socket is replaced).
TEST_F(UdpNibTest, DroppedRepliesTimeOutExactly) {
  UdpServer server(EchoEveryOther);
  Target(server.port());
  shared_.shots.count = 40;
  shared_.timeout_ns = 100'000'000;
  std::vector<HitRecord> recs = RunOne();
  ASSERT_EQ(recs.size(), 40u);
  int ok = 0;
  int timed_out = 0;
  for (const HitRecord& r : recs) {
    if (r.net_code == 0) {
      ++ok;
      EXPECT_EQ(r.size_in, r.size_out);
    } else {
      EXPECT_EQ(r.net_code, ETIMEDOUT);
      ++timed_out;
    }
  }
  EXPECT_EQ(ok, 20);
  EXPECT_EQ(timed_out, 20);
  EXPECT_EQ(server.datagrams(), 40u);
}

TEST_F(UdpNibTest, EmptyRecordFailsTheHit) {
  UdpServer server(Echo);
  Target(server.port());
  shared_.requests.get = &GetEmpty;
  shared_.shots.count = 5;
  std::vector<HitRecord> recs = RunOne();
  ASSERT_EQ(recs.size(), 5u);
  for (const HitRecord& r : recs) {
    EXPECT_EQ(r.net_code, EINVAL);
    EXPECT_EQ(r.size_out, 0u);
  }
  EXPECT_EQ(server.datagrams(), 0u);
}

}  // namespace
}  // namespace incarne
