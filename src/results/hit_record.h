// The 64-byte hit record (docs/design.md §8): what a worker knows about one hit, written once at
// completion into the worker's result ring. All times are ns since the run origin on
// CLOCK_MONOTONIC; the hits file header carries the origin as CLOCK_REALTIME.
#pragma once

#include <cstddef>
#include <cstdint>

namespace incarne {

enum HitFlags : uint8_t {
  kHitReused = 1 << 0,      // sent on a kept-alive connection (connected == start)
  kHitTlsResumed = 1 << 1,  // TLS session resumed
  kHitRetried = 1 << 2,     // one silent retry after a stale keep-alive connection
  kHitSampledOut = 1 << 3,  // (collector only) not kept raw; never in the hits file
};

struct HitRecord {
  uint64_t planned;     // when the shot was due (closed model: = start)
  uint64_t start;       // when the hit began (connect, or send on a reused connection)
  uint64_t connected;   // connection ready (= start when reused)
  uint64_t sent;        // last request byte handed to the kernel
  uint64_t first_byte;  // first reply byte seen
  uint64_t done;        // reply complete or failure
  uint32_t size_out;
  uint32_t size_in;
  uint16_t net_code;    // errno; 0 ok, 110 timeout, 71 bad reply, 777 dropped, 314 assertion
  uint16_t proto_code;  // HTTP status, 0 if none
  uint16_t tag;         // index into the ammo tag table
  uint8_t worker;
  uint8_t flags;  // HitFlags
};

static_assert(sizeof(HitRecord) == 64, "hit record is 64 bytes on disk and in rings");
static_assert(offsetof(HitRecord, size_out) == 48);
static_assert(offsetof(HitRecord, net_code) == 56);
static_assert(offsetof(HitRecord, tag) == 60);
static_assert(offsetof(HitRecord, flags) == 63);

}  // namespace incarne
