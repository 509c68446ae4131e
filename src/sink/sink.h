// `incarne sink`: a small io_uring HTTP/1.1 target for the quickstart, tests and benchmarks.
//
// One thread, one io_uring: a multishot accept on the listening socket and a multishot
// receive per connection over a provided buffer ring. Every request (pipelined or split
// over any number of reads) gets the same fixed `200 OK` with a body of `body_size` bytes;
// HEAD gets the headers only; HTTP/1.0 without keep-alive and `Connection: close` get their
// reply and then the connection is closed. Request bodies are skipped by Content-Length;
// a chunked request body is answered 501 and the connection closed. Replies go out straight
// from preallocated buffers (runs of identical replies in one send), one send in flight per
// connection, so any body size costs no per-connection memory.
//
// Faults (tests and benchmarks of error handling, docs/http.md): a fault applies to every
// request, to a share of them, or to a share of connections (every request on a faulty
// connection):
//   reset      the connection is reset (RST) when the request arrives   → client 104
//   close-mid  half of the reply, then the connection is closed (FIN)   → client 71
//   stall      the request is read and never answered                  → client 110
//   garbage    a reply that is not HTTP, then close                     → client 71
//   slow=D     the reply goes out D after the request arrived           → client ok, late
//   503        `503 Service Unavailable` (keep-alive as asked)          → client proto 503
// With fault_after_ns the faults start that long after the first request (an autostop test:
// a target that degrades N seconds into the run).
// UDP (`udp`): every datagram is echoed back to its sender; `stall` drops (a share of) them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sink/capacity.h"

namespace incarne {

enum class SinkFault : uint8_t { kNone, kReset, kCloseMid, kStall, kGarbage, kSlow, k503 };

struct SinkOptions {
  std::string listen = "127.0.0.1:8080";  // host:port, [v6]:port; port 0 = a free port
  uint64_t body_size = 2;                 // reply body bytes ("ok" by default)
  uint32_t max_connections = 65536;
  bool udp = false;  // a UDP echo server instead of HTTP
  SinkFault fault = SinkFault::kNone;
  int64_t slow_ns = 0;  // kSlow: the reply delay
  // Share of requests (or, with fault_per_connection, of connections) that get the fault,
  // spread evenly and deterministically: item i is faulty when floor((i+1)·share) >
  // floor(i·share). 1 = all.
  double fault_share = 1.0;
  bool fault_per_connection = false;
  // Faults start this long after the first request arrives (0: from the start). HTTP only.
  int64_t fault_after_ns = 0;
  // A target with a known capacity (--capacity / --usl-*, src/sink/capacity.h); every
  // request that gets no fault is held back as the model says.
  SinkCapacityOptions capacity;
};

// "reset" | "close-mid" | "stall" | "garbage" | "503" | "slow=DURATION" (DURATION as in plans:
// "200ms", "1.5s"). InvalidArgument naming what was expected.
absl::Status ParseSinkFault(const std::string& text, SinkOptions* options);

struct SinkStats {
  uint64_t connections = 0;
  uint64_t requests = 0;  // (UDP: datagrams received)
  uint64_t faults = 0;    // requests (datagrams) that got the fault
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
};

class Sink {
 public:
  // Binds and listens (nothing runs yet). InvalidArgument for a bad address; Unavailable
  // when the address cannot be bound (in use, not local).
  static absl::StatusOr<std::unique_ptr<Sink>> Create(const SinkOptions& options);
  ~Sink();
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  // The address actually bound ("127.0.0.1:41233" when port 0 was asked for).
  const std::string& address() const { return address_; }

  // Serves until *stop becomes true (checked at least every 100 ms) on the calling thread,
  // which owns the io_uring. FailedPrecondition when io_uring lacks what the sink needs.
  absl::Status Run(const std::atomic<bool>* stop);

  SinkStats stats() const;

  struct Impl;

 private:
  Sink() = default;
  std::unique_ptr<Impl> impl_;
  std::string address_;
};

}  // namespace incarne
