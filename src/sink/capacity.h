// The sink's capacity modes (docs/capacity.md "Targets with a known capacity"): a target
// whose limit is known, so that the find-max and usl models can be checked against it.
//
//   capacity  N "servers" with a fixed service time D, FIFO queueing beyond them: a request
//             arriving at t is answered at max(t, the first free server) + D, so at most
//             N/D replies per second leave, and the latency grows with the queue.
//   usl       one fixed service time stretched by the concurrency c (requests being served,
//             this one included) as D·(1 + σ(c−1) + κc(c−1)): a closed-model client with N
//             instances then sees X(N) = (N/D) / (1 + σ(N−1) + κN(N−1)), the USL with λ = 1/D.
// Both only compute how long a request is held back; the sink's `slow` machinery holds it.
// One thread (the sink's), no allocation per request after construction.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace incarne {

struct SinkCapacityOptions {
  uint32_t servers = 0;  // capacity mode: N > 0
  int64_t service_ns = 0;
  bool usl = false;  // usl mode: σ and κ below
  double sigma = 0;
  double kappa = 0;

  bool active() const { return servers > 0 || usl; }
};

// Checks the combination (a service time with exactly one of --capacity and --usl-*);
// InvalidArgument naming the option and what was expected.
absl::Status CheckSinkCapacity(const SinkCapacityOptions& o);

class SinkService {
 public:
  explicit SinkService(const SinkCapacityOptions& o);
  // A request arrives at `now_ns`: how long to hold its reply back.
  int64_t ArriveNs(int64_t now_ns);
  // A reply that ArriveNs held back went out.
  void Depart();

 private:
  SinkCapacityOptions o_;
  // capacity: the time each server becomes free, earliest first (a fixed-size heap).
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<int64_t>> free_at_;
  uint64_t in_service_ = 0;  // usl
};

}  // namespace incarne
