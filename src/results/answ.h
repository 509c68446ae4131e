// The answ log (phantom's logger_default_t, docs/results.md §10): for the hits that reach a
// level, the request and the first bytes of the reply, in phantom's text format:
//
//   <size_out> <size_in> <interval_real µs> <interval_event µs> <net_code>\n
//   <request>\n
//   <reply>\n
//
// Three pieces live here:
//   - the levels: phantom's result level of a hit, and the filters `results.answ` (plan) and
//     logger_default_t `level` (phantom drop-in) map to (docs/results.md "answ.log");
//   - AnswRing: a per-worker single-producer/single-consumer byte ring that carries
//     {hit record, ammo record index, reply bytes} from a worker to the collector. Push never
//     blocks and never allocates: a full ring counts the entry in `dropped` and returns false;
//   - FormatAnswEntry: the text of one entry (collector thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "plan/plan.h"
#include "results/hit_record.h"

namespace incarne {

// phantom's levels in order (a hit is logged when its level ≥ the logger's level). kNone:
// no answ log at all.
enum class AnswFilter : uint8_t {
  kNone = 0,
  kAll = 1,             // every hit
  kProtoWarning = 2,    // + HTTP 4xx
  kProtoError = 3,      // + HTTP status outside 200–499
  kTransportError = 4,  // net_code 71 (EPROTO: bad reply, limits)
  kNetworkError = 5,    // any other net_code (timeouts 110, refused 111, ...)
};

// The level of one hit. net_code ≠ 0: 71 → kTransportError, others → kNetworkError.
// net_code 0: 200–399 → kAll, 400–499 → kProtoWarning, any other status ≥ 100 →
// kProtoError; proto_code 0 (no status: raw TCP, dummy, udp) → kAll.
constexpr AnswFilter AnswLevelOf(uint16_t net_code, uint16_t proto_code) {
  if (net_code != 0) {
    return net_code == 71 ? AnswFilter::kTransportError : AnswFilter::kNetworkError;
  }
  if (proto_code == 0 || (proto_code >= 200 && proto_code < 400)) {
    return AnswFilter::kAll;
  }
  if (proto_code >= 400 && proto_code < 500) {
    return AnswFilter::kProtoWarning;
  }
  return AnswFilter::kProtoError;
}

// Whether a hit goes to the answ log under filter `f`.
constexpr bool AnswWanted(AnswFilter f, uint16_t net_code, uint16_t proto_code) {
  return f != AnswFilter::kNone &&
         static_cast<uint8_t>(AnswLevelOf(net_code, proto_code)) >= static_cast<uint8_t>(f);
}

// results.answ → filter: none → kNone, all → kAll, warnings → kProtoWarning (net errors and
// statuses outside 200–399), errors → kTransportError (every net_code ≠ 0).
AnswFilter AnswFilterFromPlan(AnswLevel level);

// logger_default_t `level`: all | proto_warning | proto_error | transport_error |
// network_error. InvalidArgument otherwise.
absl::StatusOr<AnswFilter> ParsePhantomAnswLevel(std::string_view level);

// Reply bytes kept per hit: the first 4 KiB of what the connection received for it.
inline constexpr uint32_t kAnswReplyMax = 4096;
// No ammo record (a nib without ammo): the request is written empty.
inline constexpr uint64_t kAnswNoRecord = UINT64_MAX;

// One entry as it sits in the ring, followed by reply_len bytes, padded to 8.
struct AnswEntryHeader {
  uint32_t size;       // bytes of this entry including header and padding
  uint32_t reply_len;  // kAnswWrap: a filler up to the end of the ring, no entry
  uint64_t record;     // ammo record index (kAnswNoRecord: none)
  HitRecord rec;
};
static_assert(sizeof(AnswEntryHeader) == 80);
inline constexpr uint32_t kAnswWrap = UINT32_MAX;

class AnswRing {
 public:
  // A ring of `bytes` (rounded up to a power of two, at least 64 KiB).
  explicit AnswRing(uint64_t bytes);
  ~AnswRing();
  AnswRing(const AnswRing&) = delete;
  AnswRing& operator=(const AnswRing&) = delete;

  // ---- producer (worker thread) ----
  // Copies the entry in and publishes it; false (and counted in dropped()) when full.
  // `reply_len` is clamped to kAnswReplyMax.
  bool Push(const HitRecord& rec, uint64_t record, const uint8_t* reply, uint32_t reply_len);

  // ---- consumer (collector thread) ----
  // Calls fn(const AnswEntryHeader&, std::span<const uint8_t> reply) for every published
  // entry, then releases them. Returns the number of entries.
  template <typename F>
  uint64_t Drain(F&& fn) {
    const uint64_t head = head_.load(std::memory_order_acquire);
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    uint64_t n = 0;
    while (tail < head) {
      const auto* h = reinterpret_cast<const AnswEntryHeader*>(data_ + (tail & mask_));
      if (h->reply_len != kAnswWrap) {
        fn(*h, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(h + 1), h->reply_len));
        ++n;
      }
      tail += h->size;
    }
    tail_.store(tail, std::memory_order_release);
    return n;
  }

  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t capacity() const { return mask_ + 1; }

 private:
  uint8_t* data_ = nullptr;
  uint64_t mask_ = 0;
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
  alignas(64) std::atomic<uint64_t> dropped_{0};
  uint64_t local_head_ = 0;   // producer-private
  uint64_t cached_tail_ = 0;  // producer-private
};

// Appends the text of one entry to `out`: the numbers line (interval_real and interval_event
// in µs from start to done, as phout columns 3 and 8), the request bytes, the reply bytes.
// The line's first number is request.size() and its second rec.size_in, as phantom's
// logger_default_t (request.size(), reply size): they are what a reader needs to find the
// pieces, so not rec.size_out, which counts the bytes that went out on the wire (0 for a
// refused connection, TLS records for https). The caller passes a reply of
// min(rec.size_in, kAnswReplyMax) bytes.
void FormatAnswEntry(const HitRecord& rec, std::string_view request, std::span<const uint8_t> reply,
                     std::string* out);

}  // namespace incarne
