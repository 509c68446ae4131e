// Test helpers shared by the worker's unit tests (worker_test, worker_net_test) and the nib
// tests built with the engine (nibs/*/..._test.cc): drain a result ring, run one worker to the
// end, loopback addresses. Test-only: never included by the engine itself.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/worker.h"
#include "gtest/gtest.h"
#include "results/result_ring.h"
#include "util/clock.h"

namespace incarne::test_support {

// Every record the ring holds, in order; the ring is left empty.
inline std::vector<HitRecord> DrainRing(ResultRing& ring) {
  std::vector<HitRecord> out;
  for (;;) {
    ResultRing::Batch b = ring.Peek(1 << 20);
    if (b.size() == 0) {
      break;
    }
    out.insert(out.end(), b.first.begin(), b.first.end());
    out.insert(out.end(), b.second.begin(), b.second.end());
    ring.Release(b.size());
  }
  return out;
}

// A ShotSource time function: shot i at i × 100 µs.
inline int64_t Every100us(const void*, uint64_t i) { return static_cast<int64_t>(i) * 100'000; }

// 127.0.0.1:port, with its length in *len.
inline sockaddr_storage Loopback(uint16_t port, socklen_t* len) {
  sockaddr_storage ss{};
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  *len = sizeof(sockaddr_in);
  return ss;
}

// The port an IPv4 socket is bound to.
inline uint16_t PortOf(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

struct WorkerRun {
  std::vector<HitRecord> records;
  WorkerStats stats;
  std::string setup;  // Worker::DescribeSetup()
};

// Runs one worker (index 0 of 1) over `shared` to the end, origin 1 ms from now, with a result
// ring of 2^16 records, and returns what it produced.
inline WorkerRun RunOneWorker(EngineShared* shared, WorkerOptions o = {}) {
  auto ring = ResultRing::Create(1 << 16, 0);
  EXPECT_TRUE(ring.ok());
  o.ring = &*ring;
  shared->workers = 1;
  Worker w(shared, o);
  absl::Status st = w.Init();
  EXPECT_TRUE(st.ok()) << st;
  shared->origin_mono_ns = MonoNs() + 1'000'000;
  w.Run();
  WorkerRun run;
  run.stats = w.stats();
  run.setup = w.DescribeSetup();
  run.records = DrainRing(*ring);
  return run;
}

}  // namespace incarne::test_support
