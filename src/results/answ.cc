#include "results/answ.h"

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "results/stats.h"
#include "util/absl_view.h"
#include "util/check.h"

namespace incarne {

AnswFilter AnswFilterFromPlan(AnswLevel level) {
  switch (level) {
    case AnswLevel::kNone:
      return AnswFilter::kNone;
    case AnswLevel::kErrors:
      return AnswFilter::kTransportError;
    case AnswLevel::kWarnings:
      return AnswFilter::kProtoWarning;
    case AnswLevel::kAll:
      return AnswFilter::kAll;
  }
  return AnswFilter::kNone;
}

absl::StatusOr<AnswFilter> ParsePhantomAnswLevel(std::string_view level) {
  if (level == "all") {
    return AnswFilter::kAll;
  }
  if (level == "proto_warning") {
    return AnswFilter::kProtoWarning;
  }
  if (level == "proto_error") {
    return AnswFilter::kProtoError;
  }
  if (level == "transport_error") {
    return AnswFilter::kTransportError;
  }
  if (level == "network_error") {
    return AnswFilter::kNetworkError;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("expected an answ level all, proto_warning, proto_error, transport_error or "
                   "network_error, got '",
                   AbslView(level), "'"));
}

AnswRing::AnswRing(uint64_t bytes) {
  uint64_t cap = 64 * 1024;
  while (cap < bytes) {
    cap <<= 1;
  }
  data_ = static_cast<uint8_t*>(aligned_alloc(64, cap));
  CHECK(data_ != nullptr);
  mask_ = cap - 1;
}

AnswRing::~AnswRing() { free(data_); }

bool AnswRing::Push(const HitRecord& rec, uint64_t record, const uint8_t* reply,
                    uint32_t reply_len) {
  if (reply_len > kAnswReplyMax) {
    reply_len = kAnswReplyMax;
  }
  const uint64_t need = (sizeof(AnswEntryHeader) + reply_len + 7) & ~uint64_t{7};
  const uint64_t off = local_head_ & mask_;
  const uint64_t contiguous = mask_ + 1 - off;
  // An entry never wraps: when it does not fit before the end, a filler takes the rest.
  const uint64_t filler = contiguous < need ? contiguous : 0;
  if (local_head_ + filler + need - cached_tail_ > mask_ + 1) {
    cached_tail_ = tail_.load(std::memory_order_acquire);
    if (local_head_ + filler + need - cached_tail_ > mask_ + 1) {
      dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return false;
    }
  }
  if (filler != 0) {
    // Offsets are multiples of 8, so the filler has room for its size and marker.
    auto* w = reinterpret_cast<AnswEntryHeader*>(data_ + off);
    w->size = static_cast<uint32_t>(filler);
    w->reply_len = kAnswWrap;
    local_head_ += filler;
  }
  auto* h = reinterpret_cast<AnswEntryHeader*>(data_ + (local_head_ & mask_));
  h->size = static_cast<uint32_t>(need);
  h->reply_len = reply_len;
  h->record = record;
  h->rec = rec;
  if (reply_len != 0) {
    std::memcpy(h + 1, reply, reply_len);
  }
  local_head_ += need;
  head_.store(local_head_, std::memory_order_release);
  return true;
}

void FormatAnswEntry(const HitRecord& rec, std::string_view request, std::span<const uint8_t> reply,
                     std::string* out) {
  const Monotone m = MonotoneOf(rec);
  const uint64_t real_us = (m.done - m.start) / 1000;
  absl::StrAppend(out, request.size(), " ", rec.size_in, " ", real_us, " ", real_us, " ",
                  rec.net_code, "\n");
  out->append(request.data(), request.size());
  out->push_back('\n');
  out->append(reinterpret_cast<const char*>(reply.data()), reply.size());
  out->push_back('\n');
}

}  // namespace incarne
