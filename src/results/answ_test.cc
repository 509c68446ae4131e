// answ.log: phantom's levels, the entry text, the worker → collector byte ring, and a
// collector run writing answ.log for exactly the entries pushed.
#include "results/answ.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "results/collector.h"
#include "results/hits_file.h"
#include "results/results_testing.h"

namespace incarne {
namespace {

TEST(AnswLevel, PhantomOrder) {
  EXPECT_EQ(AnswLevelOf(0, 200), AnswFilter::kAll);
  EXPECT_EQ(AnswLevelOf(0, 302), AnswFilter::kAll);
  EXPECT_EQ(AnswLevelOf(0, 399), AnswFilter::kAll);
  EXPECT_EQ(AnswLevelOf(0, 0), AnswFilter::kAll);  // no status (raw TCP, dummy)
  EXPECT_EQ(AnswLevelOf(0, 400), AnswFilter::kProtoWarning);
  EXPECT_EQ(AnswLevelOf(0, 404), AnswFilter::kProtoWarning);
  EXPECT_EQ(AnswLevelOf(0, 499), AnswFilter::kProtoWarning);
  EXPECT_EQ(AnswLevelOf(0, 500), AnswFilter::kProtoError);
  EXPECT_EQ(AnswLevelOf(0, 503), AnswFilter::kProtoError);
  EXPECT_EQ(AnswLevelOf(0, 101), AnswFilter::kProtoError);
  EXPECT_EQ(AnswLevelOf(0, 600), AnswFilter::kProtoError);
  EXPECT_EQ(AnswLevelOf(71, 0), AnswFilter::kTransportError);
  EXPECT_EQ(AnswLevelOf(110, 0), AnswFilter::kNetworkError);
  EXPECT_EQ(AnswLevelOf(111, 0), AnswFilter::kNetworkError);
  EXPECT_EQ(AnswLevelOf(104, 200), AnswFilter::kNetworkError);
}

TEST(AnswLevel, PlanLevels) {
  const AnswFilter none = AnswFilterFromPlan(AnswLevel::kNone);
  const AnswFilter errors = AnswFilterFromPlan(AnswLevel::kErrors);
  const AnswFilter warnings = AnswFilterFromPlan(AnswLevel::kWarnings);
  const AnswFilter all = AnswFilterFromPlan(AnswLevel::kAll);
  struct Case {
    uint16_t net, proto;
    bool want_errors, want_warnings;
  };
  const Case cases[] = {
      {0, 200, false, false}, {0, 301, false, false}, {0, 404, false, true},
      {0, 500, false, true},  {0, 101, false, true},  {71, 0, true, true},
      {110, 0, true, true},   {111, 0, true, true},   {777, 0, true, true},
  };
  for (const Case& c : cases) {
    const std::string what = absl::StrCat(c.net, "/", c.proto);
    EXPECT_FALSE(AnswWanted(none, c.net, c.proto)) << what;
    EXPECT_TRUE(AnswWanted(all, c.net, c.proto)) << what;
    EXPECT_EQ(AnswWanted(errors, c.net, c.proto), c.want_errors) << what;
    EXPECT_EQ(AnswWanted(warnings, c.net, c.proto), c.want_warnings) << what;
  }
}

TEST(AnswLevel, PhantomNames) {
  EXPECT_EQ(*ParsePhantomAnswLevel("all"), AnswFilter::kAll);
  EXPECT_EQ(*ParsePhantomAnswLevel("proto_warning"), AnswFilter::kProtoWarning);
  EXPECT_EQ(*ParsePhantomAnswLevel("proto_error"), AnswFilter::kProtoError);
  EXPECT_EQ(*ParsePhantomAnswLevel("transport_error"), AnswFilter::kTransportError);
  EXPECT_EQ(*ParsePhantomAnswLevel("network_error"), AnswFilter::kNetworkError);
  EXPECT_FALSE(ParsePhantomAnswLevel("warning").ok());
  EXPECT_FALSE(ParsePhantomAnswLevel("").ok());
  // proto_error skips 4xx; network_error skips EPROTO.
  EXPECT_FALSE(AnswWanted(AnswFilter::kProtoError, 0, 404));
  EXPECT_TRUE(AnswWanted(AnswFilter::kProtoError, 0, 502));
  EXPECT_FALSE(AnswWanted(AnswFilter::kNetworkError, 71, 0));
  EXPECT_TRUE(AnswWanted(AnswFilter::kNetworkError, 110, 0));
}

TEST(AnswFormat, PhantomText) {
  HitRecord r{};
  r.start = 1'000'000;
  r.connected = 1'200'000;
  r.sent = 1'300'000;
  r.first_byte = 3'000'000;
  r.done = 3'456'789;  // 2456.789 µs → 2456
  r.size_out = 517;    // bytes on the wire (TLS records): not what the entry's header says
  r.size_in = 26;
  r.net_code = 0;
  r.proto_code = 404;
  const std::string reply = "HTTP/1.1 404 Not Found\r\n\r\n";
  std::string out;
  FormatAnswEntry(
      r, "GET /x HTTP/1.0\r\n\r\n",
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(reply.data()), reply.size()), &out);
  // phantom's header: the request's length (request.size()), then size_in.
  EXPECT_EQ(out, "19 26 2456 2456 0\nGET /x HTTP/1.0\r\n\r\n\nHTTP/1.1 404 Not Found\r\n\r\n\n");
  // Refused: nothing was sent (size_out 0), no reply; the request is written all the same.
  r.size_out = 0;
  r.net_code = 111;
  r.proto_code = 0;
  r.size_in = 0;
  out.clear();
  FormatAnswEntry(r, "GET /", {}, &out);
  EXPECT_EQ(out, "5 0 2456 2456 111\nGET /\n\n");
}

HitRecord Rec(uint64_t i) {
  HitRecord r{};
  r.start = i * 1000;
  r.done = i * 1000 + 500;
  r.size_out = static_cast<uint32_t>(i);
  r.net_code = static_cast<uint16_t>(i % 3 == 0 ? 110 : 0);
  return r;
}

TEST(AnswRing, WrapsAndKeepsOrder) {
  AnswRing ring(64 * 1024);
  std::vector<uint8_t> reply(5000, 'x');
  uint64_t pushed = 0;
  uint64_t seen = 0;
  // Entries of varying size go round the 64 KiB ring many times.
  for (uint64_t i = 0; i < 2000; ++i) {
    for (uint32_t k = 0; k < reply.size(); ++k) {
      reply[k] = static_cast<uint8_t>('a' + (i + k) % 26);
    }
    ASSERT_TRUE(ring.Push(Rec(i), i, reply.data(), static_cast<uint32_t>((i * 37) % 5000)));
    ++pushed;
    if (i % 5 == 4) {
      ring.Drain([&](const AnswEntryHeader& h, std::span<const uint8_t> got) {
        EXPECT_EQ(h.record, seen);
        EXPECT_EQ(h.rec.size_out, seen);
        const uint32_t want = std::min<uint32_t>((seen * 37) % 5000, kAnswReplyMax);
        ASSERT_EQ(got.size(), want);
        for (uint32_t k = 0; k < want; ++k) {
          ASSERT_EQ(got[k], 'a' + (seen + k) % 26) << seen << " " << k;
        }
        ++seen;
      });
    }
  }
  ring.Drain([&](const AnswEntryHeader& h, std::span<const uint8_t>) {
    EXPECT_EQ(h.record, seen);
    ++seen;
  });
  EXPECT_EQ(seen, pushed);
  EXPECT_EQ(ring.dropped(), 0u);
}

TEST(AnswRing, FullIsCountedNotBlocking) {
  AnswRing ring(64 * 1024);
  std::vector<uint8_t> reply(kAnswReplyMax, 'r');
  uint64_t ok = 0;
  for (int i = 0; i < 100; ++i) {
    ok += ring.Push(Rec(i), i, reply.data(), kAnswReplyMax) ? 1 : 0;
  }
  // 64 KiB holds 15 entries of 80 + 4096 bytes.
  EXPECT_EQ(ok, 15u);
  EXPECT_EQ(ring.dropped(), 85u);
  uint64_t n = ring.Drain([](const AnswEntryHeader&, std::span<const uint8_t>) {});
  EXPECT_EQ(n, 15u);
  EXPECT_TRUE(ring.Push(Rec(1), 1, reply.data(), kAnswReplyMax));
}

TEST(AnswRing, ConcurrentProducer) {
  AnswRing ring(64 * 1024);
  constexpr uint64_t kN = 200000;
  std::thread producer([&] {
    uint8_t b[64];
    for (uint64_t i = 0; i < kN; ++i) {
      memset(b, static_cast<int>(i & 0xff), sizeof(b));
      while (!ring.Push(Rec(i), i, b, static_cast<uint32_t>(i % 64))) {
      }
    }
  });
  uint64_t seen = 0;
  while (seen < kN) {
    ring.Drain([&](const AnswEntryHeader& h, std::span<const uint8_t> got) {
      ASSERT_EQ(h.record, seen);
      ASSERT_EQ(got.size(), seen % 64);
      for (uint8_t c : got) {
        ASSERT_EQ(c, seen & 0xff);
      }
      ++seen;
    });
  }
  producer.join();
  EXPECT_EQ(seen, kN);
}

TEST(AnswCollector, WritesEntriesAtAGivenPath) {
  const std::string dir = testing::TempDir();
  const std::string path = dir + "/answ_shared.log";
  // The caller creates the file; the collector appends.
  {
    const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "previous\n", 9), 9);
    close(fd);
  }
  auto ring = ResultRing::Create(1024, 0);
  ASSERT_TRUE(ring.ok());
  AnswRing answ(1 << 20);
  CollectorOptions o;
  o.run_dir = dir;
  o.answ_rings = {&answ};
  o.answ_path = path;
  o.origin_mono_ns = testing::MonoNow();
  const std::vector<std::string> requests = {"GET /a\r\n\r\n", "GET /b\r\n\r\n"};
  o.request_bytes = [&requests](uint64_t r) -> std::string_view { return requests[r]; };
  auto c = Collector::Start(std::move(o), {&*ring});
  ASSERT_TRUE(c.ok()) << c.status();
  HitRecord r = Rec(1);
  r.proto_code = 404;
  r.size_in = 3;
  const uint8_t reply[] = {'4', '0', '4'};
  ASSERT_TRUE(answ.Push(r, 1, reply, 3));
  HitRecord t = Rec(3);
  ASSERT_TRUE(answ.Push(t, kAnswNoRecord, nullptr, 0));
  ring->MarkFinished();
  ASSERT_TRUE((*c)->Finish().ok());
  EXPECT_EQ((*c)->answ_written(), 2u);
  EXPECT_EQ((*c)->answ_dropped(), 0u);
  auto text = ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  // The headers give each request's length (10, and 0 without a record), not the records'
  // size_out (1 and 3): the log parses by the documented rule.
  EXPECT_EQ(*text, "previous\n10 3 0 0 0\nGET /b\r\n\r\n\n404\n0 0 0 0 110\n\n\n");
  EXPECT_NE(access((dir + "/answ.log").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace incarne
