// Test helpers for src/results tests: deterministic hit records, a collector run driven by
// real producer threads, and exact comparisons of aggregates. Tests only.
#pragma once

#include <stdlib.h>
#include <time.h>
#include <zlib.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "results/collector.h"
#include "results/result_ring.h"
#include "results/stats.h"

namespace incarne::testing {

inline int64_t MonoNow() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline std::string TempDir() {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/incarne-results-XXXXXX";
  char* d = mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr);
  return tmpl;
}

// Record i of worker w: ~`spacing_ns` apart, over tags 0..ntags-1, with reused connections,
// sub-µs phases, connect timeouts (net 110), HTTP 503s and dropped shots (net 777).
inline HitRecord MakeRecord(uint8_t w, uint64_t i, uint16_t ntags, uint64_t spacing_ns = 500000) {
  HitRecord r{};
  r.worker = w;
  r.tag = static_cast<uint16_t>((i + w) % ntags);
  r.planned = i * spacing_ns + w * 1300 + 17;
  r.start = r.planned + (i % 7) * 10000 + (i % 11);
  if (i % 1000 == 999) {
    r.start = r.planned;
    r.done = r.planned + 3;
    r.net_code = 777;
    return r;
  }
  if (i % 97 == 0) {
    r.done = r.start + 1000000000 + i;  // connect timeout: nothing reached
    r.net_code = 110;
    return r;
  }
  if (i % 5 == 0) {
    r.connected = r.start;
    r.flags = kHitReused;
  } else {
    r.connected = r.start + 30000 + (i % 3) * 1000 + 499;
  }
  r.sent = r.connected + 1500;
  r.first_byte = r.sent + 100000 + (i % 100) * 13000 + (i % 2) * 999;
  r.done = r.first_byte + 5000 + (i % 13) * 777;
  r.size_out = 100 + i % 10;
  r.size_in = 1000 + i % 50;
  r.proto_code = i % 89 == 0 ? 503 : 200;
  return r;
}

inline std::vector<HitRecord> MakeRecords(uint8_t w, uint64_t n, uint16_t ntags,
                                          uint64_t spacing_ns = 500000) {
  std::vector<HitRecord> v;
  for (uint64_t i = 0; i < n; ++i) {
    v.push_back(MakeRecord(w, i, ntags, spacing_ns));
  }
  return v;
}

// Pushes every record (waiting for room, so nothing is dropped), then MarkFinished.
inline void Produce(ResultRing* ring, const std::vector<HitRecord>& recs) {
  uint64_t pushed = 0, cached_tail = 0;
  for (const HitRecord& r : recs) {
    while (pushed - cached_tail >= ring->capacity()) {
      ring->Publish();
      std::this_thread::yield();
      cached_tail = ring->header()->tail.load(std::memory_order_acquire);
    }
    EXPECT_TRUE(ring->Push(r));
    ++pushed;
    ring->SetCounters(pushed, pushed, pushed % 5);
  }
  ring->MarkFinished();
}

// What a worker does with a ring that has EnableSeconds(): every record into the second
// aggregates, the raw record only when the filter wants it — and never waiting for room
// (the open model: a full ring loses the raw record, counted, never the hit). Ticks with each
// record's completion time, as the worker's loop does with its clock. A worker's seconds last
// a second; these last microseconds, so before a new second it waits for a cleared block
// (else its hits would be misfiled, counted late).
inline void ProduceAggregated(ResultRing* ring, const std::vector<HitRecord>& recs) {
  SecondAggregates* sec = ring->seconds();
  uint64_t n = 0;
  uint64_t last_second = UINT64_MAX;
  for (const HitRecord& r : recs) {
    if (r.done / 1000000000 != last_second) {
      last_second = r.done / 1000000000;
      while (!sec->HasSpare()) {
        ring->Publish();
        std::this_thread::yield();
      }
    }
    sec->Add(r);
    if (ring->WantRaw(r)) {
      ring->Push(r);
    }
    ++n;
    ring->SetCounters(n, n, n % 5);
    if ((n & 255) == 0) {
      ring->Publish();
      sec->Tick(static_cast<int64_t>(r.done));
    }
  }
  sec->FlushAll();
  ring->MarkFinished();
}

// Runs a collector over one ring per worker fed by real producer threads. The origin is an
// hour in the future of CLOCK_MONOTONIC, so no second is written before Finish() (the
// per-second buckets are then exactly what the records imply, however slow the machine).
// worker_seconds: the producers aggregate (ProduceAggregated) instead of pushing every record.
inline RunSummary RunCollector(const std::string& dir,
                               const std::vector<std::vector<HitRecord>>& per_worker,
                               std::vector<std::string> tags, HitsKeep keep, bool phout,
                               int64_t origin_realtime_ns, uint64_t ring_capacity = 4096,
                               bool worker_seconds = false) {
  std::vector<ResultRing> rings;
  for (size_t w = 0; w < per_worker.size(); ++w) {
    auto r = ResultRing::Create(ring_capacity, static_cast<uint32_t>(w));
    EXPECT_TRUE(r.ok());
    if (worker_seconds) {
      r->EnableSeconds(static_cast<uint32_t>(std::max<size_t>(tags.size(), 1)),
                       RawFilter(keep, phout));
    }
    rings.push_back(std::move(*r));
  }
  std::vector<ResultRing*> ptrs;
  for (auto& r : rings) {
    ptrs.push_back(&r);
  }
  // Planned shots by t, from the records themselves (what a schedule would say).
  auto planned = std::make_shared<std::vector<uint64_t>>();
  for (const auto& recs : per_worker) {
    for (const HitRecord& r : recs) {
      planned->push_back(r.planned);
    }
  }
  std::sort(planned->begin(), planned->end());
  CollectorOptions o;
  o.run_dir = dir;
  o.keep = keep;
  o.phout = phout;
  o.tags = std::move(tags);
  o.workers = static_cast<uint32_t>(per_worker.size());
  o.origin_realtime_ns = origin_realtime_ns;
  o.origin_mono_ns = MonoNow() + int64_t{3600} * 1000000000;
  o.planned_shots_by = [planned](int64_t t) -> uint64_t {
    return static_cast<uint64_t>(
        std::lower_bound(planned->begin(), planned->end(), static_cast<uint64_t>(t)) -
        planned->begin());
  };
  auto c = Collector::Start(std::move(o), ptrs);
  EXPECT_TRUE(c.ok()) << c.status();
  std::vector<std::thread> threads;
  for (size_t w = 0; w < per_worker.size(); ++w) {
    threads.emplace_back([&, w] {
      if (worker_seconds) {
        ProduceAggregated(&rings[w], per_worker[w]);
      } else {
        Produce(&rings[w], per_worker[w]);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_TRUE((*c)->Finish().ok());
  return (*c)->summary();
}

inline void ExpectStatsEq(const Stats& a, const Stats& b, const std::string& what) {
  EXPECT_EQ(a.hits, b.hits) << what;
  EXPECT_EQ(a.errors, b.errors) << what;
  EXPECT_EQ(a.net_errors, b.net_errors) << what;
  EXPECT_EQ(a.bytes_out, b.bytes_out) << what;
  EXPECT_EQ(a.bytes_in, b.bytes_in) << what;
  EXPECT_EQ(a.connect_ns, b.connect_ns) << what;
  EXPECT_EQ(a.send_ns, b.send_ns) << what;
  EXPECT_EQ(a.latency_ns, b.latency_ns) << what;
  EXPECT_EQ(a.receive_ns, b.receive_ns) << what;
  if (a.hits > 0 || b.hits > 0) {
    EXPECT_EQ(a.min_start, b.min_start) << what;
    EXPECT_EQ(a.max_done, b.max_done) << what;
  }
  EXPECT_EQ(a.proto_codes.Sorted(), b.proto_codes.Sorted()) << what;
  EXPECT_EQ(a.net_codes.Sorted(), b.net_codes.Sorted()) << what;
  EXPECT_TRUE(a.latency == b.latency) << what;
  EXPECT_TRUE(a.service == b.service) << what;
  EXPECT_TRUE(a.lag == b.lag) << what;
}

// Expected per-second, per-tag stats of a set of records (bucketed by done second).
struct Expected {
  std::map<int64_t, std::vector<Stats>> seconds;  // second → stats by tag
  std::vector<Stats> tags;
  Stats overall;
};

inline std::unique_ptr<Expected> Expect(const std::vector<std::vector<HitRecord>>& per_worker,
                                        size_t ntags) {
  auto e = std::make_unique<Expected>();
  e->tags.resize(ntags);
  for (const auto& recs : per_worker) {
    for (const HitRecord& r : recs) {
      const int64_t s = static_cast<int64_t>(r.done / 1000000000);
      auto& v = e->seconds[s];
      if (v.empty()) {
        v.resize(ntags);
      }
      v[r.tag].Add(r);
      e->tags[r.tag].Add(r);
      e->overall.Add(r);
    }
  }
  return e;
}

// An independent reader of HdrHistogram's compressed V2 encoding, written from the format
// description (big-endian header, zlib payload, ZigZag LEB128 counts, negative = zero run).
struct HdrDecoded {
  uint32_t cookie = 0, inner_cookie = 0;
  int32_t payload_len = 0, offset = -1, digits = 0;
  int64_t lowest = 0, highest = 0;
  double ratio = 0;
  std::vector<int64_t> counts;
};

inline uint64_t Be(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) {
    v = (v << 8) | p[i];
  }
  return v;
}

inline HdrDecoded DecodeHdr(const std::string& bytes) {
  HdrDecoded d;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  d.cookie = static_cast<uint32_t>(Be(p, 4));
  const uint32_t clen = static_cast<uint32_t>(Be(p + 4, 4));
  EXPECT_EQ(clen + 8, bytes.size());
  std::string raw(1 << 20, '\0');
  uLongf raw_len = raw.size();
  EXPECT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_len, p + 8, clen), Z_OK);
  raw.resize(raw_len);
  const auto* q = reinterpret_cast<const unsigned char*>(raw.data());
  d.inner_cookie = static_cast<uint32_t>(Be(q, 4));
  d.payload_len = static_cast<int32_t>(Be(q + 4, 4));
  d.offset = static_cast<int32_t>(Be(q + 8, 4));
  d.digits = static_cast<int32_t>(Be(q + 12, 4));
  d.lowest = static_cast<int64_t>(Be(q + 16, 8));
  d.highest = static_cast<int64_t>(Be(q + 24, 8));
  const uint64_t rb = Be(q + 32, 8);
  std::memcpy(&d.ratio, &rb, 8);
  EXPECT_EQ(static_cast<size_t>(d.payload_len) + 40, raw.size());
  size_t at = 40;
  while (at < raw.size()) {
    uint64_t v = 0;
    int shift = 0;
    while (true) {
      const unsigned char b = q[at++];
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) {
        break;
      }
    }
    const int64_t s = static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
    if (s < 0) {
      d.counts.insert(d.counts.end(), static_cast<size_t>(-s), 0);
    } else {
      d.counts.push_back(s);
    }
  }
  return d;
}

inline std::string Base64Decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = val(c);
    if (v < 0) {
      break;  // '=' padding
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace incarne::testing
